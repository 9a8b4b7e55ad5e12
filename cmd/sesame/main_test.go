package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests run the command itself: the test binary starts itself again
// with runMainEnv set, and then behaves as sesame, so that signals and exit
// statuses are the real ones.
const runMainEnv = "SESAME_TEST_RUN_MAIN"

// ignoreSIGXFSZEnv makes the command started by a test ignore SIGXFSZ.
const ignoreSIGXFSZEnv = "SESAME_TEST_IGNORE_SIGXFSZ"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		if os.Getenv(ignoreSIGXFSZEnv) == "1" {
			// See TestDiskFull: a write past the file size limit then
			// fails with EFBIG, as on a full disk, instead of killing
			// the process.
			signal.Ignore(syscall.SIGXFSZ)
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// sesame returns the command sesame with args, in a new temporary directory.
func sesame(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the command is tested with Unix signals")
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// The race detector would wait a second at every exit.
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Dir = t.TempDir()
	return cmd
}

// exitCode returns the exit status of a command that has ended.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("sesame did not run: %v", err)
	return -1
}

// TestSignalStopsCleanly: CONTRACT §1, on SIGINT or SIGTERM sesame stops
// and exits 0.
func TestSignalStopsCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := sesame(t, ctx, "--addr", "127.0.0.1:0", "--demo=false")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			url, log := listeningURL(t, stderr)

			res, err := http.Get(url + "healthz")
			if err != nil {
				t.Fatalf("healthz: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("healthz: status %d", res.StatusCode)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			logged := <-log
			if code := exitCode(t, cmd.Wait()); code != 0 {
				t.Errorf("exit status %d after %v, want 0\nstderr: %s", code, sig, logged)
			}
			if !strings.Contains(logged, "shutting down") {
				t.Errorf("no word of the shutdown:\n%s", logged)
			}
			if _, err := os.Stat(filepath.Join(cmd.Dir, "sesame.db")); err != nil {
				t.Errorf("the default database ./sesame.db: %v", err)
			}
		})
	}
}

// listeningURL reads sesame's log until it says where it listens, and
// returns that URL and a channel that yields the whole log once it ends.
func listeningURL(t *testing.T, stderr io.Reader) (string, <-chan string) {
	t.Helper()
	listening := regexp.MustCompile(`sesame is listening.*url=(http://\S+/)`)
	found := make(chan string, 1)
	log := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
		log <- all.String()
	}()
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatalf("sesame ended without listening:\n%s", <-log)
		}
		return url, log
	case <-time.After(20 * time.Second):
		t.Fatal("sesame did not say where it listens")
		return "", nil
	}
}

// TestExitStatus: the statuses of CONTRACT §1 reach the operator's shell.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStderr string
	}{
		{"help", []string{"help"}, 0, ""},
		{"unknown command", []string{"bogus"}, 2, `unknown command "bogus"`},
		{"usage error", []string{"serve", "--idle-timeout", "-1m"}, 2, "positive"},
		{"demo password on the network", []string{"--addr", "0.0.0.0:0"}, 1, "--allow-demo-on-network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := sesame(t, ctx, tt.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if code := exitCode(t, cmd.Run()); code != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstderr: %s", code, tt.wantStatus, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantStderr, &stderr)
			}
		})
	}
}
