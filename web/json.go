package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/sesamehq/sesame"
)

// writeJSON writes v as the JSON body of an answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		// Only a programming error can get here: our types always encode.
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the status is out; a failed write means the client left
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Short   []shortLineJSON   `json:"short,omitempty"`
}

type shortLineJSON struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	Wanted    int    `json:"wanted"`
	Available int    `json:"available"`
}

// apiError answers an API request that failed with the error shape of
// CONTRACT §5.
func (h *Handler) apiError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	h.logProblem(r, p, err)
	writeError(w, p)
}

// writeError writes p as the JSON error answer.
func writeError(w http.ResponseWriter, p problem) {
	body := errorBody{Error: errorJSON{Code: p.Code, Message: p.Message, Fields: p.Fields}}
	for _, l := range p.Short {
		body.Error.Short = append(body.Error.Short, shortLineJSON{l.ProductID, l.Name, l.Wanted, l.Available})
	}
	setRetryAfter(w, p)
	writeJSON(w, p.Status, body)
}

// decodeJSON reads the body of r into dst, a pointer to a struct, strictly:
// the content type must be JSON, the body one object no larger than maxBody,
// every key a field of dst spelt exactly, every value of the field's type.
// Each refusal is an error the client is told about, never a 500.
func decodeJSON(r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &mediaError{want: "application/json"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // an *http.MaxBytesError answers 413
	}
	// encoding/json would match keys without regard to case, say of an
	// unknown key only in prose, let the last of two equal keys win and
	// take a null as if the key were absent; reading the keys first lets us
	// refuse all four, naming the key.
	keys, err := objectKeys(body)
	if err != nil {
		return sesame.Invalid("body", "must be one JSON object")
	}
	known := jsonFields(dst)
	inv := new(sesame.InvalidError)
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		switch {
		case !known[k.name]:
			inv.Add(k.name, "is not a field of this request")
		case seen[k.name]:
			inv.Add(k.name, "is given more than once")
		case k.null:
			inv.Add(k.name, "must not be null")
		}
		seen[k.name] = true
	}
	if err := inv.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return sesame.Invalid(typeErr.Field, typeReason(typeErr))
		}
		return sesame.Invalid("body", "is not valid JSON")
	}
	return nil
}

// objectKey is one key of a JSON object, and whether its value is null.
type objectKey struct {
	name string
	null bool
}

// objectKeys returns the keys of the JSON object body, in order and with
// any repeats; an error when body is not exactly one object.
func objectKeys(body []byte) ([]objectKey, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var keys []objectKey
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		// Inside an object, a key is a string.
		keys = append(keys, objectKey{name: tok.(string), null: string(value) == "null"})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more after the object")
	}
	return keys, nil
}

// jsonFields returns the JSON names of the fields of the struct *dst.
func jsonFields(dst any) map[string]bool {
	t := reflect.TypeOf(dst).Elem()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// typeReason says why a JSON value does not fit its field, for a client
// who sent the wrong type or a whole number past any sensible range.
func typeReason(e *json.UnmarshalTypeError) string {
	t := e.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n, ok := strings.CutPrefix(e.Value, "number "); ok && !strings.ContainsAny(n, ".eE") {
			return "is out of range"
		}
		return "must be a whole number"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	}
	return fmt.Sprintf("must be of type %s", t.Kind())
}
