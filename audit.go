package sesame

import "time"

// Action names what an audit event records.
type Action string

// The actions of the audit trail.
const (
	ActionLogin          Action = "login"
	ActionLogout         Action = "logout"
	ActionSessionRevoke  Action = "session.revoke"
	ActionSessionExpire  Action = "session.expire"
	ActionPasswordChange Action = "password.change"
	ActionCartAdd        Action = "cart.add"
	ActionCartUpdate     Action = "cart.update"
	ActionCartRemove     Action = "cart.remove"
	ActionCheckout       Action = "checkout"
	ActionTask           Action = "task"
	ActionAccessDenied   Action = "access.denied"
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
	ID        int64
	Time      time.Time
	UserID    int64  // 0 when no known user was involved
	Username  string // as known or as typed at login
	Action    Action
	Outcome   Outcome
	SessionID string // public session id, never the token
	IP        string
	UserAgent string
	Detail    string // what was refused, which product, which order
}
