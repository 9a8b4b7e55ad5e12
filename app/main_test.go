package app

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMainExitStatus: Main's exit status and what it says, for every way a
// start can end before serving.
func TestMainExitStatus(t *testing.T) {
	seeded := tempDB(t)
	openServer(t, testConfig(seeded)) // demo data with the demo passwords
	fresh := tempDB(t)                // never created: refused before it is

	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantStatus int
		wantStdout []string
		wantStderr []string
	}{
		{"help", []string{"help"}, nil, 0, []string{"Usage: sesame", "serve"}, nil},
		{"-h", []string{"-h"}, nil, 0, nil, []string{"Usage: sesame", "-idle-timeout"}},
		{"serve -h", []string{"serve", "-h"}, nil, 0, nil, []string{"Usage: sesame", "SESAME_"}},
		{"unknown command", []string{"bogus"}, nil, 2, nil, []string{`unknown command "bogus"`, "Usage: sesame"}},
		{"unknown flag", []string{"--port", "5000"}, nil, 2, nil, []string{"flag provided but not defined: -port"}},
		{"serve, unknown flag", []string{"serve", "--port=5000"}, nil, 2, nil, []string{"flag provided but not defined: -port"}},
		{"bad duration", []string{"serve", "--lifetime", "forever"}, nil, 2, nil, []string{`invalid value "forever"`}},
		{"zero duration", []string{"--idle-timeout", "0s"}, nil, 2, nil, []string{"sesame serve:", "positive"}},
		{"stray argument", []string{"serve", "now"}, nil, 2, nil, []string{`unexpected argument "now"`}},
		{"postgres unreachable", []string{"--addr", "127.0.0.1:0", "--db", unreachablePostgres(t)}, nil, 1, nil,
			[]string{"sesame: postgres", "unavailable", "connect"}},
		{"redis unreachable", []string{"--addr", "127.0.0.1:0", "--db", "sqlite:" + tempDB(t), "--sessions", unreachableRedis(t)}, nil, 1, nil,
			[]string{"sesame: --sessions", "Redis does not answer"}},
		{"redis for the app data", []string{"--db", "redis://127.0.0.1:6379/0"}, nil, 2, nil, []string{"--db", "Redis", "cannot be used here"}},
		{"bad SESAME_DEMO", nil, map[string]string{"SESAME_DEMO": "maybe"}, 2, nil, []string{"SESAME_DEMO"}},
		{"demo password on the network", []string{"--addr", "0.0.0.0:0", "--db", "sqlite:" + seeded}, nil, 1, nil,
			[]string{"refusing", "demo password", "--allow-demo-on-network"}},
		{"demo password on the network, from the environment", nil,
			map[string]string{"SESAME_ADDR": ":0", "SESAME_DB": "sqlite:" + seeded}, 1, nil, []string{"--allow-demo-on-network"}},
		{"demo data new on the network", []string{"--addr", "0.0.0.0:0", "--db", "sqlite:" + fresh}, nil, 1, nil,
			[]string{"refusing", "demo password", "--demo=false", "--allow-demo-on-network"}},
		{"database cannot be opened", []string{"--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "no", "dir", "x.db")},
			nil, 1, nil, []string{"sesame:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := Main(context.Background(), tt.args, &stdout, &stderr, env(tt.env))
			if got != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", got, tt.wantStatus, &stdout, &stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout does not say %q:\n%s", w, &stdout)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, &stderr)
				}
			}
			if got != 0 && strings.Contains(stdout.String(), "admin password") {
				t.Errorf("a start that failed printed the admin password:\n%s", &stdout)
			}
		})
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused start left a database file behind: %v", err)
	}
}

// TestMainServes: `sesame` with no arguments is `sesame serve`, configured
// from the environment here; it seeds the new file, prints the admin
// password on its stdout, logs on its stderr, serves, and exits 0 once its
// context is done (what SIGINT/SIGTERM do in cmd/sesame).
func TestMainServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	getenv := env(map[string]string{"SESAME_ADDR": "127.0.0.1:0", "SESAME_DB": "sqlite:" + tempDB(t)})
	exit := make(chan int, 1)
	go func() { exit <- Main(ctx, nil, &stdout, &stderr, getenv) }()

	listening := regexp.MustCompile(`sesame is listening.*url=(http://\S+/)`)
	var url string
	eventually(t, "Main logs that it listens", func() bool {
		select {
		case code := <-exit:
			t.Fatalf("Main returned %d before serving\nstderr: %s", code, stderr.String())
		default:
		}
		m := listening.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	if adminPassword(stdout.String()) == "" {
		t.Errorf("no admin password on stdout: %q", stdout.String())
	}
	b := newBrowser(t)
	if status, body := b.do(http.MethodGet, url+"readyz", nil); status != http.StatusOK {
		t.Errorf("readyz: status %d: %s", status, body)
	}
	status, _ := b.do(http.MethodPost, url+"api/v1/session", map[string]string{"username": "authorized_user", "password": "password123"})
	if status != http.StatusCreated {
		t.Errorf("demo login: status %d, want 201", status)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit status %d after a stop, want 0\nstderr: %s", code, stderr.String())
		}
	case <-time.After(waitFor):
		t.Fatal("Main did not return after its context was done")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no word of the shutdown on stderr:\n%s", stderr.String())
	}
}
