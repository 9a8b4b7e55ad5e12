// Package wrk runs the wrk load generator with the scenario script
// bench.lua and reads back the result line that script prints.
package wrk

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed bench.lua
var script []byte

// WriteScript writes bench.lua into dir and returns its path: wrk reads its
// script from a file, and the load command may run from anywhere.
func WriteScript(dir string) (string, error) {
	path := filepath.Join(dir, "bench.lua")
	return path, os.WriteFile(path, script, 0o644)
}

// Options are one wrk run.
type Options struct {
	Script   string // path of bench.lua
	URL      string
	Threads  int
	Conns    int
	Duration time.Duration
	Env      map[string]string // the request, as bench.lua reads it: METHOD, BODY, COOKIE, …
}

// Output is what one run measured.
type Output struct {
	Requests   int64            `json:"requests"`
	DurationUs int64            `json:"duration_us"`
	Bytes      int64            `json:"bytes"`
	P50Us      int64            `json:"p50_us"`
	P90Us      int64            `json:"p90_us"`
	P99Us      int64            `json:"p99_us"`
	MaxUs      int64            `json:"max_us"`
	Counted    bool             `json:"counted"`
	Unexpected int64            `json:"unexpected"`
	Statuses   map[string]int64 `json:"statuses"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Timeout int64 `json:"timeout"`
		Status  int64 `json:"status"` // answers with a status of 400 or more
	} `json:"errors"`
	// Non2xx3xx is wrk's own "Non-2xx or 3xx responses" line (0 when absent).
	Non2xx3xx int64  `json:"-"`
	Raw       string `json:"-"` // wrk's whole output
}

// Run runs wrk and returns its result. wrk's --timeout is the run's length
// plus 5 s: a shorter one would drop the slowest answers from the latency
// figures and count them as errors, hiding queueing instead of measuring it.
func Run(ctx context.Context, o Options) (Output, error) {
	args := []string{
		"-t" + strconv.Itoa(o.Threads), "-c" + strconv.Itoa(o.Conns),
		"-d" + seconds(o.Duration), "--timeout", seconds(o.Duration + 5*time.Second),
		"--latency", "-s", o.Script, o.URL,
	}
	cmd := exec.CommandContext(ctx, "wrk", args...)
	cmd.Env = os.Environ()
	for k, v := range o.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	raw := out.String()
	if err != nil {
		return Output{Raw: raw}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, raw)
	}
	return Parse(raw)
}

// Parse reads wrk's output: the BENCHJSON line of bench.lua and wrk's
// "Non-2xx or 3xx responses" line.
func Parse(raw string) (Output, error) {
	var o Output
	found := false
	for line := range strings.Lines(raw) {
		line = strings.TrimSpace(line)
		if js, ok := strings.CutPrefix(line, "BENCHJSON "); ok {
			if err := json.Unmarshal([]byte(js), &o); err != nil {
				return Output{Raw: raw}, fmt.Errorf("wrk: bad result line %q: %w", js, err)
			}
			found = true
		}
		if n, ok := strings.CutPrefix(line, "Non-2xx or 3xx responses:"); ok {
			o.Non2xx3xx, _ = strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		}
	}
	o.Raw = raw
	if !found {
		return o, errors.New("wrk: no BENCHJSON line in its output:\n" + raw)
	}
	return o, nil
}

// Version returns wrk's version, e.g. "4.1.0 [epoll]".
func Version() string {
	// wrk -v prints its version and usage and exits 1.
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return strings.TrimPrefix(strings.TrimSpace(line), "wrk ")
}

// seconds writes d as whole seconds for wrk, at least 1.
func seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second/2)/time.Second))) + "s"
}
