package web

import (
	"encoding/json"
	"net/http"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// The JSON API of passkeys (CONTRACT §9); the rules are in package account.
// Each ceremony is two calls: one for the options that the browser hands
// to navigator.credentials, one with the credential it answers, as
// PublicKeyCredential.toJSON gives it.

type passkeyJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  jsonTime  `json:"created_at"`
	LastUsedAt *jsonTime `json:"last_used_at"`
}

func toPasskey(p account.PasskeyInfo) passkeyJSON {
	out := passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: jsonTime(p.CreatedAt)}
	if !p.LastUsedAt.IsZero() {
		t := jsonTime(p.LastUsedAt)
		out.LastUsedAt = &t
	}
	return out
}

// given reports whether a request body gave a credential: a field left
// out and a null are none.
func given(c json.RawMessage) bool { return len(c) > 0 && string(c) != "null" }

// credentialOf returns the credential of a request body, or an
// *sesame.InvalidError when it has none.
func credentialOf(c json.RawMessage) ([]byte, error) {
	if !given(c) {
		return nil, sesame.Invalid("credential", "is required")
	}
	return c, nil
}

func (h *Handler) apiPasskeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := h.accounts.MyPasskeys(r.Context())
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, len(keys))
	for i, k := range keys {
		out[i] = toPasskey(k)
	}
	writeJSON(w, http.StatusOK, map[string][]passkeyJSON{"passkeys": out})
	return nil
}

// apiPasskeyOptions begins a registration (re-authentication).
func (h *Handler) apiPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	creation, err := h.accounts.BeginPasskeyRegistration(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, creation)
	return nil
}

type newPasskeyJSON struct {
	Name       *string         `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// apiAddPasskey finishes it: 201, the passkey, and a new session cookie.
func (h *Handler) apiAddPasskey(w http.ResponseWriter, r *http.Request) error {
	var in newPasskeyJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cred, err := credentialOf(in.Credential)
	if err != nil {
		return err
	}
	p, err := h.accounts.FinishPasskeyRegistration(r.Context(), deref(in.Name), cred)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toPasskey(p))
	return nil
}

type passkeyNameJSON struct {
	Name *string `json:"name"`
}

func (h *Handler) apiRenamePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in passkeyNameJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := h.accounts.RenamePasskey(r.Context(), id, deref(in.Name))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPasskey(p))
	return nil
}

// apiDeletePasskey removes one (re-authentication).
func (h *Handler) apiDeletePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.accounts.DeletePasskey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPasskeySignInOptions begins a sign-in with a passkey alone.
func (h *Handler) apiPasskeySignInOptions(w http.ResponseWriter, r *http.Request) error {
	assertion, err := h.accounts.BeginPasskeySignIn(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, assertion)
	return nil
}

type passkeySignInJSON struct {
	Credential json.RawMessage `json:"credential"`
	Remember   *bool           `json:"remember"`
}

// apiPasskeySignIn finishes it: 201 and the login answer, with a new
// session cookie.
func (h *Handler) apiPasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	var in passkeySignInJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cred, err := credentialOf(in.Credential)
	if err != nil {
		return err
	}
	user, s, err := h.accounts.SignInWithPasskey(r.Context(), cred, in.Remember != nil && *in.Remember)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toMe(user, s))
	return nil
}

// apiSecondFactorOptions begins the second step of a sign-in with one of
// the user's passkeys; the pending cookie names the sign-in.
func (h *Handler) apiSecondFactorOptions(w http.ResponseWriter, r *http.Request) error {
	assertion, err := h.accounts.BeginPasskeySecondFactor(r.Context(), h.pendingToken(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, assertion)
	return nil
}

// apiAdminRemovePasskeys removes every passkey of a user (re-authentication,
// audited): 200 and how many went.
func (h *Handler) apiAdminRemovePasskeys(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := h.accounts.RemovePasskeys(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"removed": n})
	return nil
}
