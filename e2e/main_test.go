package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// This file finds the browser and axe-core, and starts the one browser
// process that every test of the package shares. Each test opens its own
// browser contexts in it (see newBrowser): separate cookie jars and caches,
// like separate browsers, at the cost of a tab each.

// The bounds of every wait, so that a hung browser or server fails a test in
// seconds, not at the go test timeout.
const (
	browserStartTimeout = 30 * time.Second // the browser process, once per package
	contextTimeout      = 15 * time.Second // a new browser context and its tab
	actionTimeout       = 10 * time.Second // one navigation, click, read
	auditTimeout        = 20 * time.Second // one axe-core run on one page
	serverTimeout       = 10 * time.Second // the server's start and stop
)

// inCI reports whether the tests run in CI, where a missing browser or
// axe-core fails instead of skipping (CONTRACT §1: CI reaches everything).
var inCI = os.Getenv("CI") == "true"

// chromium is the browser: its path, or why there is none.
var chromium struct {
	path    string
	missing string
}

// axe is axe-core's browser bundle: its source, or why there is none.
var axe struct {
	source  string
	missing string
}

// shared is the browser process of the package, started by the first test
// that needs it.
var shared struct {
	once  sync.Once
	alloc context.Context // the allocator, whose flags every browser gets
	root  context.Context // the chromedp context of the browser's first tab
	err   error           // why it did not start
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	chromium.path, chromium.missing = findChromium()
	axe.source, axe.missing = loadAxe()
	if chromium.path == "" {
		return m.Run()
	}
	profile, err := os.MkdirTemp("", "sesame-e2e-profile-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(profile)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserFlags(chromium.path, profile)...)
	defer cancelAlloc()
	root, cancelRoot := chromedp.NewContext(alloc)
	defer cancelRoot()
	shared.alloc, shared.root = alloc, root
	return m.Run()
}

// browserFlags are the command line of the browser: headless, and quiet on
// the network. Without the background flags Chromium keeps calling home
// (updates, safe browsing, metrics, sync), which on a closed network is a
// flood of refused connections; the host resolver rule makes any name but
// the loopback ones fail at once, in case something still tries.
func browserFlags(path, profile string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // root in a container has no user namespace sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 800),
	)
}

// findChromium returns the browser to use, or why there is none:
// SESAME_CHROMIUM when set, else /usr/bin/chromium, else chromium in PATH.
func findChromium() (path, missing string) {
	if p := os.Getenv("SESAME_CHROMIUM"); p != "" {
		if isExecutable(p) {
			return p, ""
		}
		return "", fmt.Sprintf("SESAME_CHROMIUM is %q, which is not an executable file", p)
	}
	if isExecutable("/usr/bin/chromium") {
		return "/usr/bin/chromium", ""
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, ""
	}
	return "", "no browser: set SESAME_CHROMIUM, or install chromium (.ci/browser-deps does)"
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// axeDir is where axe-core is installed: SESAME_AXE, else sesame/axe in
// the user's cache ($XDG_CACHE_HOME, else ~/.cache), as .ci/browser-deps
// does it.
func axeDir() string {
	if d := os.Getenv("SESAME_AXE"); d != "" {
		return d
	}
	if cache, err := os.UserCacheDir(); err == nil {
		return filepath.Join(cache, "sesame", "axe")
	}
	return ""
}

// loadAxe reads axe-core's browser bundle, or says why it cannot.
func loadAxe() (source, missing string) {
	dir := axeDir()
	if dir == "" {
		return "", "no axe-core: set SESAME_AXE (there is no cache directory to look in)"
	}
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Sprintf("no axe-core at %s: run `npm install --prefix %s axe-core@4` (.ci/browser-deps does)", file, dir)
	}
	if err != nil {
		return "", fmt.Sprintf("axe-core: %v", err)
	}
	return string(b), ""
}

// needBrowser skips the test when there is no browser (failing it in CI),
// starts the shared browser on first use and returns its root context.
func needBrowser(t *testing.T) context.Context {
	t.Helper()
	if chromium.path == "" {
		if inCI {
			t.Fatalf("CI=true and %s", chromium.missing)
		}
		t.Skip(chromium.missing)
	}
	shared.once.Do(func() {
		// The first Run starts the process and binds it to the context it
		// is given, so it cannot take a timeout of its own: watch it.
		done := make(chan error, 1)
		go func() { done <- chromedp.Do(shared.root) }()
		select {
		case shared.err = <-done:
		case <-time.After(browserStartTimeout):
			shared.err = fmt.Errorf("no answer within %v", browserStartTimeout)
		}
		if shared.err != nil {
			shared.err = fmt.Errorf("starting %s: %w", chromium.path, shared.err)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.root
}
