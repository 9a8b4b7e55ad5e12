package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// The log of the whole test run is checked once every test has run: no
// session token, cookie value or password that any test sent or received
// may appear in it (CONTRACT §6, §7), whatever path the request took,
// including the refusals and failures the tests provoke on purpose. A test
// of one journey could only check the secrets it knows of; this sees every
// one the package's tests handle.

// runLog receives what every testApp logs.
var runLog syncBuffer

// runSecrets are the secrets seen during the run, by what they are.
var runSecrets = struct {
	mu sync.Mutex
	m  map[string]string // secret → what it is
}{m: map[string]string{}}

// minSecret is the shortest value taken for a secret: shorter ones (a
// test's "x" or "short") would be found in any log by chance.
const minSecret = 10

func noteSecret(value, what string) {
	if len(value) < minSecret {
		return
	}
	runSecrets.mu.Lock()
	defer runSecrets.mu.Unlock()
	runSecrets.m[value] = what
}

// noteRequestSecrets notes the passwords of a request body: the values of
// every form field or top-level JSON key whose name says password.
func noteRequestSecrets(contentType string, body []byte) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		v, _ := url.ParseQuery(string(body))
		for k, vs := range v {
			if strings.Contains(k, "password") {
				for _, s := range vs {
					noteSecret(s, "the form field "+k)
				}
			}
		}
	case "application/json":
		var v map[string]any
		_ = json.Unmarshal(body, &v) // a test's malformed body has no secret to note
		for k, s := range v {
			if s, ok := s.(string); ok && strings.Contains(k, "password") {
				noteSecret(s, "the JSON key "+k)
			}
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkRunLog(os.Stderr)
	}
	os.Exit(code)
}

// checkRunLog reports to w each kind of secret found in the run's log, and
// returns 1 if there was one.
func checkRunLog(w io.Writer) int {
	logs := runLog.String()
	runSecrets.mu.Lock()
	defer runSecrets.mu.Unlock()
	if len(runSecrets.m) == 0 || !strings.Contains(logs, "msg=request") {
		if !wholeRun() {
			return 0 // a chosen test, a benchmark, a fuzz target or a listing: nothing to find is fine
		}
		fmt.Fprintln(w, "run log check: no secrets or no request lines seen; the check would prove nothing")
		return 1
	}
	found := 0
	for s, what := range runSecrets.m {
		if i := strings.Index(logs, s); i >= 0 {
			found++
			line := logs[strings.LastIndexByte(logs[:i], '\n')+1:]
			line, _, _ = strings.Cut(line, "\n")
			fmt.Fprintf(w, "FAIL: the run's log holds %s: %.300s\n", what, strings.ReplaceAll(line, s, "«secret»"))
		}
	}
	if found > 0 {
		return 1
	}
	return 0
}

// wholeRun reports whether this run ran the package's tests unfiltered, so
// that a check that saw nothing means the check is broken, not the
// selection narrow.
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.list", "test.bench", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}
