// Command load builds sesame and its peers, starts each target in turn on its
// own loopback port with a fresh database, and measures every scenario with
// wrk: requests/s, p50 and p99, the server's CPU time per request, its
// memory, and that every answer had the expected status. It prints one
// markdown table with each result's ratio to the no-session baseline (bare)
// of the same run, and writes every figure to a JSON file that the chart
// command draws.
//
// Run it from the bench directory:
//
//	go run ./cmd/load                                         # everything, 5 s per scenario
//	go run ./cmd/load -d 1s -targets sesame,bare -scenarios products   # a smoke test
//
// It needs wrk, and for the Flask peer gunicorn and Python's Flask; the Go
// peers need cgo (a C compiler) for mattn/go-sqlite3.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sesamehq/sesame/bench/report"
)

type config struct {
	duration   time.Duration
	conns      int
	loginConns int
	threads    int
	repeat     int
	targets    []target
	scenarios  []scenario
	jsonPath   string
	mdPath     string
	bin        string // built programs
	work       string // databases and logs, one directory per target
	keep       bool
	repoRoot   string
	benchDir   string
	busyLimit  float64
	settleMax  time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	c, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	if !c.keep {
		defer os.RemoveAll(c.work)
	}
	defer stopAll() // every server we started, whatever happens below; before the files go
	r, err := measureAll(ctx, c)
	if r != nil {
		r.Finished = time.Now().UTC()
		r.SetRatios()
		report.Markdown(os.Stdout, r)
		if werr := writeOutputs(c, r); werr != nil {
			fmt.Fprintln(os.Stderr, "load:", werr)
			return 1
		}
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "load: interrupted; every server it started is stopped")
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	if c.keep {
		fmt.Fprintln(os.Stderr, "load: databases and logs kept in", c.work)
	}
	for _, res := range r.Results {
		if !res.OK {
			return 1
		}
	}
	for _, t := range r.Targets {
		if t.Failed != "" {
			return 1
		}
	}
	return 0
}

func parseFlags() (*config, error) {
	c := &config{}
	var targetList, scenarioList string
	flag.DurationVar(&c.duration, "d", 5*time.Second, "length of each wrk run (whole seconds)")
	flag.IntVar(&c.conns, "c", 64, "wrk connections")
	flag.IntVar(&c.loginConns, "login-c", 8, "wrk connections for the login scenario (at most -c)")
	flag.IntVar(&c.threads, "t", 2, "wrk threads")
	flag.IntVar(&c.repeat, "repeat", 1, "runs per scenario; the one with the median requests/s is reported")
	flag.StringVar(&targetList, "targets", "", "comma-separated targets (default: all but the optional ones): "+targetNames())
	flag.StringVar(&scenarioList, "scenarios", "", "comma-separated scenarios (default: all): "+scenarioNames())
	flag.StringVar(&c.jsonPath, "json", "load.json", "write the raw results to this JSON file")
	flag.StringVar(&c.mdPath, "md", "", "also write the markdown table to this file")
	flag.StringVar(&c.bin, "bin", "", "build the servers into this directory (default: a temporary one)")
	flag.BoolVar(&c.keep, "keep", false, "keep the databases and server logs (the path is printed)")
	flag.StringVar(&c.repoRoot, "repo", "", "the sesame repository (default: found upward from the current directory)")
	flag.Float64Var(&c.busyLimit, "idle-below", 15, "before each run, wait until the CPUs are less than this % busy")
	flag.DurationVar(&c.settleMax, "idle-wait", 30*time.Second, "wait at most this long for idle CPUs")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./cmd/load [flags]   (in bench/; or bench/load [flags])\n\n"+
			"Measures sesame and its peers with wrk and prints a markdown table; see bench/README.md.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	if c.duration < time.Second || c.conns < 1 || c.loginConns < 1 || c.threads < 1 || c.repeat < 1 {
		return nil, errors.New("-d must be at least 1s; -c, -login-c, -t and -repeat at least 1")
	}
	if c.conns < c.threads {
		return nil, errors.New("wrk needs at least one connection per thread (-c ≥ -t)")
	}
	var err error
	if c.targets, err = pick(targetList, targets, func(t target) string { return t.name }, func(t target) bool { return !t.optional }); err != nil {
		return nil, fmt.Errorf("-targets: %w", err)
	}
	if c.scenarios, err = pick(scenarioList, scenarios, func(s scenario) string { return s.name }, func(scenario) bool { return true }); err != nil {
		return nil, fmt.Errorf("-scenarios: %w", err)
	}
	if c.repoRoot == "" {
		if c.repoRoot, err = findRepo(); err != nil {
			return nil, err
		}
	}
	c.benchDir = filepath.Join(c.repoRoot, "bench")
	if c.work, err = os.MkdirTemp("", "sesame-load-"); err != nil {
		return nil, err
	}
	if c.bin == "" {
		c.bin = filepath.Join(c.work, "bin")
	}
	return c, os.MkdirAll(c.bin, 0o755)
}

// pick returns the items named in list (comma-separated), in the order of
// all; an empty list picks those that def accepts.
func pick[T any](list string, all []T, name func(T) string, def func(T) bool) ([]T, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	everyDefault := len(want) == 0
	var out []T
	for _, it := range all {
		if (everyDefault && def(it)) || want[name(it)] {
			out = append(out, it)
		}
		delete(want, name(it))
	}
	for n := range want {
		return nil, fmt.Errorf("unknown name %q", n)
	}
	if len(out) == 0 {
		return nil, errors.New("nothing chosen")
	}
	return out, nil
}

func targetNames() string {
	var s []string
	for _, t := range targets {
		n := t.name
		if t.optional {
			n += " (optional)"
		}
		s = append(s, n)
	}
	return strings.Join(s, ", ")
}

func scenarioNames() string {
	var s []string
	for _, sc := range scenarios {
		s = append(s, sc.name)
	}
	return strings.Join(s, ", ")
}

// findRepo walks up from the current directory to the sesame module.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			slices.Contains(strings.Fields(string(b)), "github.com/sesamehq/sesame") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the sesame repository (run from its bench directory, or give -repo)")
		}
		dir = parent
	}
}

// build compiles what the chosen targets need: sesame from the repository
// root (its own module), the Go peers from this module.
func build(ctx context.Context, c *config) error {
	needs := map[string]bool{}
	for _, t := range c.targets {
		needs[t.needs] = true
	}
	steps := [][]string{}
	if needs["sesame"] {
		steps = append(steps, []string{c.repoRoot, "go", "build", "-o", filepath.Join(c.bin, "sesame"), "./cmd/sesame"})
	}
	if needs["peers"] {
		steps = append(steps, []string{c.benchDir, "go", "build", "-o", c.bin + string(filepath.Separator), "./peers/bare", "./peers/scs"})
	}
	for _, s := range steps {
		fmt.Fprintf(os.Stderr, "load: (cd %s && %s)\n", s[0], strings.Join(s[1:], " "))
		cmd := exec.CommandContext(ctx, s[1], s[2:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = s[0], os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build in %s: %w", s[0], err)
		}
	}
	return nil
}

func writeOutputs(c *config, r *report.Run) error {
	if c.jsonPath != "" {
		if err := r.Save(c.jsonPath); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "load: wrote", c.jsonPath)
	}
	if c.mdPath != "" {
		f, err := os.Create(c.mdPath)
		if err != nil {
			return err
		}
		report.Markdown(f, r)
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "load: wrote", c.mdPath)
	}
	return nil
}

// commit names the repository's commit, marked when the tree has changes.
func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		s += "+dirty"
	}
	return s
}

func goVersion() string { return strings.TrimPrefix(runtime.Version(), "go") }
