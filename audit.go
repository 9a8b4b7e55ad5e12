package sesame

import "time"

// Action names what an audit event records.
type Action string

// Actions lists every action, for filters that offer them.
var Actions = []Action{
	ActionLogin, ActionLogout, ActionReauth, ActionSessionRevoke, ActionSessionExpire, ActionSessionEvicted,
	ActionTokenReuse, ActionPasswordChange, ActionUserCreate, ActionUserRoles, ActionUserPassword,
	ActionUserDisable, ActionUserEnable, ActionCartAdd, ActionCartUpdate, ActionCartRemove, ActionCheckout,
	ActionTask, ActionAccessDenied, ActionTOTPEnrol, ActionTOTPConfirm, ActionTOTPDisable, ActionSecondFactor,
	ActionUserTOTPRemove, ActionPasskeyAdd, ActionPasskeyRename, ActionPasskeyDelete, ActionUserPasskeysRemove,
}

// The actions of the audit trail.
const (
	ActionLogin          Action = "login"
	ActionLogout         Action = "logout"
	ActionReauth         Action = "reauth"
	ActionSessionRevoke  Action = "session.revoke"
	ActionSessionExpire  Action = "session.expire"
	ActionSessionEvicted Action = "session.evicted"
	ActionTokenReuse     Action = "session.token_reuse"
	ActionPasswordChange Action = "password.change"
	ActionUserCreate     Action = "user.create"
	ActionUserRoles      Action = "user.roles"
	ActionUserPassword   Action = "user.password"
	ActionUserDisable    Action = "user.disable"
	ActionUserEnable     Action = "user.enable"
	ActionCartAdd        Action = "cart.add"
	ActionCartUpdate     Action = "cart.update"
	ActionCartRemove     Action = "cart.remove"
	ActionCheckout       Action = "checkout"
	ActionTask           Action = "task"
	ActionAccessDenied   Action = "access.denied"

	// Second factors (CONTRACT §9): an enrolment begun, confirmed with a
	// first code, the factor removed by its user or by an admin, and the
	// second step of a sign-in, right or wrong.
	ActionTOTPEnrol      Action = "totp.enrol"
	ActionTOTPConfirm    Action = "totp.confirm"
	ActionTOTPDisable    Action = "totp.disable"
	ActionSecondFactor   Action = "login.second_factor"
	ActionUserTOTPRemove Action = "user.totp_remove"

	// Passkeys: one registered, renamed or deleted by its user, or all of
	// a user's removed by an admin. A sign-in with one is a login (alone)
	// or a login.second_factor (after the password).
	ActionPasskeyAdd         Action = "passkey.add"
	ActionPasskeyRename      Action = "passkey.rename"
	ActionPasskeyDelete      Action = "passkey.delete"
	ActionUserPasskeysRemove Action = "user.passkeys_remove" // #nosec G101 -- an audit action's name, not a credential
)

// Outcome says how an audited action ended.
type Outcome string

// The outcomes of audited actions.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeDenied  Outcome = "denied"
)

// Event is one entry of the audit trail.
type Event struct {
	ID       int64
	Time     time.Time
	UserID   int64  // who acted: 0 when no known user (a visitor, an operator)
	Username string // as known, as typed at login, or the operator ("cli")
	// TargetID and TargetName name the user an action was done to when it
	// is not the actor: an admin's or an operator's change of their roles,
	// say. A user's own trail holds the events they are the target of too.
	TargetID   int64
	TargetName string
	Action     Action
	Outcome    Outcome
	SessionID  string // public session id, never the token
	IP         string
	UserAgent  string
	Detail     string // what was refused, which product, which order
}
