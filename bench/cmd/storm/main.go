// Command storm checks what a burst of logins does to sesame: it builds and
// starts the real server on a fresh database, sends N form logins at once
// (500 by default, each on its own connection), and meanwhile reads the
// server's resident memory every 20 ms and asks a signed-in page and the
// health check every 100 ms. It prints the peak memory, how long the logins
// took, and the slowest answer of the other pages, and exits 1 when the peak
// passes -max-rss or another page failed to answer within -max-wait.
//
// By default the burst is credential stuffing: each login is a different
// unknown username with a wrong password, from its own loopback address
// (127.0.0.2 to 127.0.0.251, so the per-address limit does not answer them
// first); each costs a full password hash and answers 401. With -same-user
// every login is the demo user's, with the right password: one user's
// attempts queue one behind the other in sesame, so this shows the queue.
// Password hashing (argon2id, 19 MiB each) runs at most once per CPU at a
// time, so either burst should cost time, not memory:
//
//	go run ./cmd/storm                # in bench/
//	go run ./cmd/storm -n 100 -same-user
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 500, "concurrent logins")
	maxRSS := flag.Int("max-rss", 300, "fail when the server's peak resident memory passes this many MiB")
	maxWait := flag.Duration("max-wait", 2*time.Second, "fail when another page takes longer than this to answer during the burst")
	repo := flag.String("repo", "..", "the sesame repository")
	sameUser := flag.Bool("same-user", false, "every login is the demo user's, with the right password")
	flag.Parse()
	if err := run(*n, *maxRSS, *maxWait, *repo, *sameUser); err != nil {
		fmt.Fprintln(os.Stderr, "storm:", err)
		os.Exit(1)
	}
}

func run(n, maxRSS int, maxWait time.Duration, repo string, sameUser bool) error {
	dir, err := os.MkdirTemp("", "sesame-storm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sesame")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sesame")
	build.Dir, build.Stdout, build.Stderr = repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(bin, "serve", "--addr", addr, "--db", "sqlite:"+filepath.Join(dir, "sesame.db"))
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	base := "http://" + addr
	if err := waitHealthy(base); err != nil {
		return err
	}
	time.Sleep(time.Second) // start-up work done before the first reading
	startRSS, _ := memory(srv.Process.Pid)
	// One client per login: 500 connections, as 500 browsers would open.
	var peak int64
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
				if rss, _ := memory(srv.Process.Pid); rss > peak {
					peak = rss
				}
			}
		}
	})
	// The probe is a user signed in before the burst, who goes on browsing.
	var (
		slowest  time.Duration
		failures []string
	)
	jar, _ := cookiejar.New(nil)
	probeUser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	if status, err := login(base, probeUser, demoUser, demoPassword); err != nil || status != http.StatusSeeOther {
		return fmt.Errorf("the probe's login: %d, %v", status, err)
	}
	watch.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			for _, path := range []string{"/products", "/healthz"} {
				t0 := time.Now()
				res, err := probeUser.Get(base + path)
				took := time.Since(t0)
				slowest = max(slowest, took)
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", path, err))
				case res.StatusCode != http.StatusOK:
					failures = append(failures, fmt.Sprintf("%s: %d", path, res.StatusCode))
				}
				if res != nil {
					res.Body.Close()
				}
			}
		}
	})

	t0 := time.Now()
	took := make([]time.Duration, n)
	statuses := make([]int, n)
	var logins sync.WaitGroup
	want := http.StatusUnauthorized
	if sameUser {
		want = http.StatusSeeOther
	}
	for i := range n {
		logins.Go(func() {
			client := &http.Client{Timeout: 5 * time.Minute, CheckRedirect: noRedirect}
			username, password := fmt.Sprintf("storm%d", i), "not-the-password"
			if sameUser {
				username, password = demoUser, demoPassword
			} else {
				// Its own address, so that the per-address limit (20
				// failures a minute) does not refuse it before the hash.
				from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))}
				client.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: from}).DialContext}
			}
			start := time.Now()
			statuses[i], _ = login(base, client, username, password)
			took[i] = time.Since(start)
		})
	}
	logins.Wait()
	burst := time.Since(t0)
	close(stopWatch)
	watch.Wait()

	ok, byStatus := 0, map[int]int{}
	for _, s := range statuses {
		byStatus[s]++
		if s == want {
			ok++
		}
	}
	slices.Sort(took)
	fmt.Printf("%d concurrent logins: %d answered %d in %v; each took p50 %v, max %v\n",
		n, ok, want, burst.Round(time.Millisecond), took[n/2].Round(time.Millisecond), took[n-1].Round(time.Millisecond))
	fmt.Printf("server resident memory: %d MiB before, %d MiB at the peak (limit %d MiB)\n", startRSS>>10, peak>>10, maxRSS)
	fmt.Printf("the signed-in products page and /healthz during the burst: slowest answer %v (limit %v), %d failed\n\n",
		slowest.Round(time.Millisecond), maxWait, len(failures))
	var problems []string
	if ok != n {
		problems = append(problems, fmt.Sprintf("%d of %d logins did not answer %d (answers by status, 0 for none: %v)", n-ok, n, want, byStatus))
	}
	if peak>>10 > int64(maxRSS) {
		problems = append(problems, fmt.Sprintf("peak memory %d MiB passes %d MiB", peak>>10, maxRSS))
	}
	if slowest > maxWait || len(failures) > 0 {
		problems = append(problems, fmt.Sprintf("other pages: slowest %v, failures %q", slowest, failures))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

const demoUser, demoPassword = "authorized_user", "password123"

// login posts the login form and returns the status.
func login(base string, c *http.Client, username, password string) (int, error) {
	form := url.Values{"username": {username}, "password": {password}}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func waitHealthy(base string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the server did not answer /healthz within 30 s")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// memory returns VmRSS and VmHWM of pid in KiB.
func memory(pid int) (rss, peak int64) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}
