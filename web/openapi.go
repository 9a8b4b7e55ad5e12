package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// openAPIPath is where the description of the JSON API is served.
const openAPIPath = "/api/v1/openapi.yaml"

// openAPIDocument is the OpenAPI 3.1 description of the whole JSON API
// (CONTRACT §5, §7), served as it is in the repository. The web tests hold
// every call they make, and every answer, to it.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// openAPIETag names the version of the document, so that a client can keep
// it and ask whether it changed.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// openAPI serves the API description: public and the same for everyone, so
// that it may be cached (with revalidation by ETag). It is served outside
// the session (see ServeHTTP), so its answer never carries a cookie.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/yaml")
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("ETag", openAPIETag)
	http.ServeContent(w, r, "openapi.yaml", time.Time{}, bytes.NewReader(openAPIDocument))
}
