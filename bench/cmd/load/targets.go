package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A target is one server the load command starts, measures and stops.
type target struct {
	name     string
	about    string
	baseline bool
	optional bool   // measured only when -targets names it
	urlEnv   string // measured only when this environment variable holds a URL
	// refusable: a start that fails is "not available" (skipped), not a
	// failure of the run: an older sesame did not take PostgreSQL or Redis.
	refusable bool
	// fresh, when set, returns url made into an empty store of the run's
	// own (a schema, a key prefix), and the function that removes it: like
	// the SQLite targets, each run starts from nothing.
	fresh func(ctx context.Context, url string) (string, func(), error)
	// storeProcs name the processes of the store server (when it runs on
	// this machine), whose CPU time is counted per answer too.
	storeProcs []string
	needs      string // what must be built or installed: "sesame", "peers" or "gunicorn"
	// command returns the program and its arguments for a server listening
	// on addr with its files in dir; url is the value of urlEnv.
	command func(c *config, addr, dir, url string) (prog string, args, env []string, workdir string)
}

var targets = []target{
	{name: "bare", baseline: true, needs: "peers",
		about: "Go, the same pages and tables with no session at all (the baseline); modernc.org/sqlite as sesame",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "bare"), []string{"-addr", addr, "-db", filepath.Join(dir, "bare.db")}, nil, ""
		}},
	{name: "bare-mattn", needs: "peers", optional: true,
		about: "bare on mattn/go-sqlite3 (SQLite's C code through cgo), the driver scs uses",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "bare"), []string{"-addr", addr, "-db", filepath.Join(dir, "bare.db"), "-driver", "mattn"}, nil, ""
		}},
	{name: "sesame", needs: "sesame",
		about: "sesame, sessions in its SQLite file (the default)",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "sesame"), []string{"serve", "--addr", addr, "--db", "sqlite:" + filepath.Join(dir, "sesame.db")}, nil, ""
		}},
	{name: "sesame-memory", needs: "sesame",
		about: "sesame, sessions in memory",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "sesame"), []string{"serve", "--addr", addr, "--db", "sqlite:" + filepath.Join(dir, "sesame.db"),
				"--sessions", "memory"}, nil, ""
		}},
	{name: "sesame-pg", needs: "sesame", urlEnv: "SESAME_BENCH_POSTGRES", refusable: true, fresh: freshSchema, storeProcs: []string{"postgres"},
		about: "sesame, app data and sessions in PostgreSQL (a new schema per run)",
		command: func(c *config, addr, _, url string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "sesame"), []string{"serve", "--addr", addr, "--db", url, "--sessions", url, "--demo=true"}, nil, ""
		}},
	{name: "sesame-redis", needs: "sesame", urlEnv: "SESAME_BENCH_REDIS", refusable: true, fresh: freshPrefix, storeProcs: []string{"redis-server"},
		about: "sesame, app data in SQLite, sessions in Redis (a new key prefix per run)",
		command: func(c *config, addr, dir, url string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "sesame"), []string{"serve", "--addr", addr, "--db", "sqlite:" + filepath.Join(dir, "sesame.db"),
				"--sessions", url}, nil, ""
		}},
	{name: "scs", needs: "peers",
		about: "Go, alexedwards/scs v2 + sqlite3store on mattn/go-sqlite3, IdleTimeout 30m, bcrypt 12",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "scs"), []string{"-addr", addr, "-db", filepath.Join(dir, "scs.db")}, nil, ""
		}},
	{name: "scs-noidle", needs: "peers",
		about: "the same scs without IdleTimeout, so it only reads the session",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return filepath.Join(c.bin, "scs"), []string{"-addr", addr, "-db", filepath.Join(dir, "scs.db"), "-idle-timeout", "0"}, nil, ""
		}},
	{name: "flask", needs: "gunicorn",
		about: "Python, Flask + SQLite sessions table, gunicorn gthread workers (keep-alive), pbkdf2",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return "gunicorn", append(gunicornWorkers("gthread"), "-b", addr, "--access-logfile", "-", "app:app"),
				[]string{"DB=" + filepath.Join(dir, "flask.db"), "PYTHONDONTWRITEBYTECODE=1"}, filepath.Join(c.benchDir, "peers", "flask")
		}},
	{name: "flask-sync", needs: "gunicorn", optional: true,
		about: "the same Flask app on gunicorn's default sync workers, which close the connection after every answer",
		command: func(c *config, addr, dir, _ string) (string, []string, []string, string) {
			return "gunicorn", append(gunicornWorkers("sync"), "-b", addr, "--access-logfile", "-", "app:app"),
				[]string{"DB=" + filepath.Join(dir, "flask.db"), "PYTHONDONTWRITEBYTECODE=1"}, filepath.Join(c.benchDir, "peers", "flask")
		}},
}

// gunicornWorkers follows gunicorn's own advice of 2 × cores + 1 workers;
// gthread workers get 4 threads each, so that a worker keeps serving its
// other keep-alive connections while one request waits on SQLite.
func gunicornWorkers(class string) []string {
	args := []string{"-w", strconv.Itoa(2*numCPU() + 1), "-k", class}
	if class == "gthread" {
		args = append(args, "--threads", "4")
	}
	return args
}

// A proc is a started server: its process group, so that gunicorn's workers
// stop with their master.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

var (
	liveMu sync.Mutex
	live   = map[*proc]bool{}
)

// start starts prog in its own process group, its output into logPath.
func start(prog string, args, env []string, workdir, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(prog, args...)
	cmd.Dir = workdir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	liveMu.Lock()
	live[p] = true
	liveMu.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, and SIGKILL when it is still
// there 10 s later.
func (p *proc) stop() {
	liveMu.Lock()
	delete(live, p)
	liveMu.Unlock()
	if p.exited() {
		return
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "load: pid %d ignored SIGTERM for 10 s; SIGKILL\n", p.pid())
		syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every server still running, whatever happened.
func stopAll() {
	liveMu.Lock()
	ps := make([]*proc, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

// tail returns the last lines of the server's log, for an error message.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitHealthy polls base/healthz until it answers 200, the process exits,
// or a minute passes (scs and Flask hash the demo passwords at start).
func waitHealthy(ctx context.Context, p *proc, base string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		if p.exited() {
			return fmt.Errorf("exited at start (%v): %s", p.err, p.tail(3))
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("/healthz did not answer 200 within a minute: " + p.tail(3))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// freshSchema creates a schema of the run's own in the PostgreSQL database
// of url (with psql) and returns url set to use it.
func freshSchema(ctx context.Context, url string) (string, func(), error) {
	name := "sesame_bench_" + strings.ToLower(rand.Text()[:10])
	psql := func(ctx context.Context, sql string) error {
		out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql).CombinedOutput()
		if err != nil {
			return fmt.Errorf("psql %q: %v: %s", sql, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := psql(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	drop := func() { _ = psql(context.Background(), "DROP SCHEMA "+name+" CASCADE") }
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + name, drop, nil
}

// freshPrefix returns url with a key prefix of the run's own (sesame's
// "prefix" parameter), and the function that deletes its keys.
func freshPrefix(_ context.Context, url string) (string, func(), error) {
	prefix := "sesame-bench-" + strings.ToLower(rand.Text()[:10]) + ":"
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	del := func() {
		_ = exec.Command("redis-cli", "-u", url, "EVAL",
			"for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", "0", prefix+"*").Run()
	}
	return url + sep + "prefix=" + prefix, del, nil
}
