package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// This file is the browser a test drives: one browser context of the shared
// Chromium (its own cookies, cache and history, like a separate browser)
// with one tab. It watches every page the tab shows and fails the test on
// any console error, uncaught exception or Content-Security-Policy
// violation, and it audits each new page with axe-core (audit_test.go).
// Every action is bounded by actionTimeout.

// cspBinding is the function, added to every page by the DevTools protocol,
// through which the page reports its securitypolicyviolation events.
const cspBinding = "sesameE2EReportViolation"

// reportViolations runs in every document before its own scripts (through
// Page.addScriptToEvaluateOnNewDocument, which the page's CSP does not
// govern) and reports each CSP violation the document sees.
const reportViolations = `document.addEventListener('securitypolicyviolation', e => {
	globalThis.` + cspBinding + `(JSON.stringify({
		directive: e.effectiveDirective || e.violatedDirective,
		blocked: e.blockedURI, sample: e.sample,
		source: e.sourceFile, line: e.lineNumber, page: document.URL,
	}));
}, true);`

// The widths pages are shown at, in CSS pixels: a browser is a desktop
// window unless setWidth makes it a phone.
const (
	desktopWidth = 1280
	phoneWidth   = 360
)

// browser is one person's browser.
type browser struct {
	t     *testing.T
	name  string // who uses it, for messages
	site  *site
	ctx   context.Context // the tab's chromedp context
	width int64           // of the viewport: desktopWidth unless setWidth changed it

	mu       sync.Mutex
	problems []string         // what the pages reported since the last settle
	docs     map[string]int64 // the status of each document loaded, by URL
}

// newBrowser opens a new browser, used by name, for the site.
func newBrowser(t *testing.T, s *site, name string) *browser {
	t.Helper()
	root := needBrowser(t)
	if axe.source == "" {
		if inCI {
			t.Fatalf("CI=true and %s", axe.missing)
		}
		t.Logf("%s: pages are not audited for accessibility: %s", name, axe.missing)
	}
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &browser{t: t, name: name, site: s, ctx: ctx, docs: map[string]int64{}, width: desktopWidth}

	// The first Run opens the tab and binds it to the context it gets, so
	// it cannot have a timeout of its own: watch it instead.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: opening the browser: %v", name, err)
		}
	case <-time.After(contextTimeout):
		t.Fatalf("%s: the browser did not open a tab within %v", name, contextTimeout)
	}
	if err := chromedp.Listen(ctx, b.observe); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b.do("set up the page watch", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: reportViolations})
		return err
	}))
	// Runs before cancel (cleanups run last first): the last page's
	// reports count too.
	t.Cleanup(func() {
		if b.ctx.Err() == nil && !t.Skipped() {
			b.settle()
		}
	})
	return b
}

// observe records what the tab reports. It runs in the loop that reads the
// tab's messages, so it only takes notes.
func (b *browser) observe(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			b.docs[ev.Response.URL] = ev.Response.Status
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.problems = append(b.problems, fmt.Sprintf("console.%s(%s)%s", ev.Type, argsText(ev.Args), stackPlace(ev.StackTrace)))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("uncaught exception: %s at %s:%d:%d", text, d.URL, d.LineNumber+1, d.ColumnNumber+1))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError && !(e.Source == log.EntrySourceSecurity && e.Level == log.EntryLevelWarning) {
			return
		}
		if _, isDoc := b.docs[e.URL]; isDoc && e.Source == log.EntrySourceNetwork {
			// "Failed to load resource" for a page answered 4xx: the
			// test asserts the status of every page it loads.
			return
		}
		b.problems = append(b.problems, fmt.Sprintf("%s %s: %s (%s)", e.Source, e.Level, e.Text, e.URL))
	case *runtime.EventBindingCalled:
		if ev.Name == cspBinding {
			b.problems = append(b.problems, "Content-Security-Policy violation: "+ev.Payload)
		}
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, ", ")
}

func stackPlace(s *runtime.StackTrace) string {
	if s == nil || len(s.CallFrames) == 0 {
		return ""
	}
	f := s.CallFrames[0]
	return fmt.Sprintf(" at %s:%d:%d", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

// takeProblems returns what the pages reported since the last call, and
// forgets it.
func (b *browser) takeProblems() []string {
	// Violation and console events are queued tasks of the page: a round
	// trip through its event loop lets the last ones arrive.
	if b.ctx.Err() == nil {
		tctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
		chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 10))`, chromedp.EvalAwaitPromise))
		cancel()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// settle is called once a page has loaded: it fails the test on anything
// the page reported, and has axe-core audit the page if it is new.
func (b *browser) settle() {
	b.t.Helper()
	b.report(b.takeProblems(), "")
	b.audit()
}

// report fails the test on each of the problems, but the known ones, which
// it logs. when says when they happened, if not just now.
func (b *browser) report(problems []string, when string) {
	b.t.Helper()
	for _, p := range problems {
		if why := known(p); why != "" {
			b.t.Logf("%s, on %s%s: %s (known problem, not failed: %s)", b.name, b.path(), when, p, why)
			continue
		}
		b.t.Errorf("%s, on %s%s: %s", b.name, b.path(), when, p)
	}
}

// do runs the actions within actionTimeout, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// eval evaluates the JavaScript expression in the page (awaiting a promise)
// and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: evaluating %.80q on %s: %v", b.name, expr, b.pathOrURL(), err)
	}
	return v
}

// load runs the actions, which cause a navigation, waits for the new page
// and returns the status of its document (after redirects).
func (b *browser) load(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
	if res == nil {
		b.t.Fatalf("%s: %s: no page loaded", b.name, what)
	}
	return res.Status
}

// open goes to path as if typed into the address bar, and wants the page
// (after redirects) to answer 200.
func (b *browser) open(path string) { b.t.Helper(); b.openWant(path, 200) }

// openWant goes to path (a path on the site, or an absolute URL) and wants
// the page to answer status.
func (b *browser) openWant(path string, status int64) {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.site.url(path)
	}
	got := b.load("opening "+u, chromedp.Navigate(u))
	b.arrived("open "+path, got, status)
}

// click clicks what f finds, which leads to another page, and wants that
// page to answer 200.
func (b *browser) click(f find) { b.t.Helper(); b.clickWant(f, 200) }

// clickWant clicks what f finds and wants the page it leads to to answer
// status.
func (b *browser) clickWant(f find, status int64) {
	b.t.Helper()
	b.must(f)
	got := b.load("clicking "+f.what, chromedp.Click(chromedp.JSPath(f.js)))
	b.arrived("click "+f.what, got, status)
}

// back presses the Back button, waits for the page it shows and returns
// the status of that page's document: 0 when the browser showed the page
// from its back/forward cache without asking the server.
func (b *browser) back() int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	hist, err := chromedp.Run(ctx, chromedp.NavigationEntries())
	if err != nil || hist.CurrentIndex < 1 {
		b.t.Fatalf("%s: no page to go back to (%v)", b.name, err)
	}
	u, how := b.follow(ctx, "going back", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.NavigateToHistoryEntry,
			page.NavigateToHistoryEntryParams{EntryID: hist.Entries[hist.CurrentIndex-1].ID})
		return err
	}), nil)
	status := b.status(u)
	if how == page.NavigationTypeBackForwardCacheRestore {
		status = 0
	}
	b.t.Logf("%s: back (%s) → %s %q (%d)", b.name, how, b.path(), b.heading(), status)
	b.settle()
	return status
}

// follow runs the trigger, then waits until the tab shows a document that
// arrived matches (any new document, when arrived is nil) and that document
// has loaded. It returns the document's URL and how it came.
func (b *browser) follow(ctx context.Context, what string, trigger chromedp.Action[chromedp.Void], arrived func(url string) bool) (string, page.NavigationType) {
	b.t.Helper()
	navigated := chromedp.Events(ctx, page.FrameNavigated)
	if err := chromedp.Do(ctx, trigger); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
	for ev, err := range navigated {
		if err != nil {
			b.t.Fatalf("%s: %s: waiting for the page: %v", b.name, what, err)
		}
		if ev.Frame.ParentID != "" || (arrived != nil && !arrived(ev.Frame.URL)) {
			continue
		}
		b.waitLoaded(ctx, what, ev.Frame.URL)
		return ev.Frame.URL, ev.Type
	}
	b.t.Fatalf("%s: %s: no page came", b.name, what)
	return "", ""
}

// startNavigation asks the tab to go to u and returns at once, without
// waiting for any page: see follow.
func startNavigation(u string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: u})
		if err == nil && res.ErrorText != "" {
			err = fmt.Errorf("%s: %s", u, res.ErrorText)
		}
		return err
	})
}

// waitLoaded waits until the tab shows the document at u, loaded.
func (b *browser) waitLoaded(ctx context.Context, what, u string) {
	b.t.Helper()
	for {
		// Runtime.evaluate without a context runs in the document shown,
		// whichever it is.
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState + ' ' + location.href`))
		if err == nil && state == "complete "+u {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("%s: %s: %s did not load: %v (last: %q)", b.name, what, u, ctx.Err(), state)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// arrived checks the status of the page a step led to, logs the step and
// settles the page.
func (b *browser) arrived(step string, got, want int64) {
	b.t.Helper()
	b.t.Logf("%s: %s → %s %q (%d)", b.name, step, b.path(), b.heading(), got)
	if got != want {
		b.t.Errorf("%s: %s: page %s answered %d, want %d; it says:\n%s", b.name, step, b.path(), got, want, b.text())
	}
	b.settle()
}

// fill types value into the field f finds, replacing what it held.
func (b *browser) fill(f find, value string) {
	b.t.Helper()
	b.must(f)
	eval[chromedp.Void](b, "void(("+f.js+").value = '')")
	b.do("typing into "+f.what, chromedp.SendKeys(chromedp.JSPath(f.js), value))
}

// choose selects, in the list f finds, the first option whose text starts
// with text.
func (b *browser) choose(f find, text string) {
	b.t.Helper()
	b.must(f)
	ok := eval[bool](b, fmt.Sprintf(`(() => {
		const s = %s, want = %s;
		const o = [...s.options].find(o => o.text.trim().startsWith(want));
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event('input', {bubbles: true}));
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, f.js, jsString(text)))
	if !ok {
		b.t.Fatalf("%s: %s has no option %q on %s", b.name, f.what, text, b.path())
	}
}

// must fails the test unless f finds something on the page.
func (b *browser) must(f find) {
	b.t.Helper()
	if !b.has(f) {
		b.t.Fatalf("%s: no %s on %s (%q); the page says:\n%s", b.name, f.what, b.path(), b.heading(), b.text())
	}
}

// has reports whether f finds something on the page.
func (b *browser) has(f find) bool {
	b.t.Helper()
	return eval[bool](b, "("+f.js+") != null")
}

// value is the current value of the field f finds.
func (b *browser) value(f find) string {
	b.t.Helper()
	b.must(f)
	return eval[string](b, "("+f.js+").value")
}

// heading is the text of the page's first h1.
func (b *browser) heading() string {
	b.t.Helper()
	return eval[string](b, `document.querySelector('h1')?.innerText.trim() ?? ''`)
}

// text is the text of the page, as a person sees it.
func (b *browser) text() string {
	b.t.Helper()
	return eval[string](b, `document.body?.innerText ?? ''`)
}

// path is the path and query of the page shown.
func (b *browser) path() string {
	b.t.Helper()
	return eval[string](b, `location.pathname + location.search`)
}

// pathOrURL is path, or the URL when the page is not the site's.
func (b *browser) pathOrURL() string {
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown page)"
	}
	if p, err := url.Parse(u); err == nil && strings.HasPrefix(u, b.site.base+"/") {
		return p.RequestURI()
	}
	return u
}

// see fails the test unless the page shows text.
func (b *browser) see(text string) {
	b.t.Helper()
	if got := b.text(); !strings.Contains(got, text) {
		b.t.Errorf("%s: %s (%q) does not show %q; it says:\n%s", b.name, b.path(), b.heading(), text, got)
	}
}

// notSee fails the test if the page shows text.
func (b *browser) notSee(text string) {
	b.t.Helper()
	if got := b.text(); strings.Contains(got, text) {
		b.t.Errorf("%s: %s (%q) shows %q; it says:\n%s", b.name, b.path(), b.heading(), text, got)
	}
}

// wantPage fails the test unless the browser shows path (with its query)
// under the heading.
func (b *browser) wantPage(path, heading string) {
	b.t.Helper()
	if got := b.path(); got != path {
		b.t.Errorf("%s: on %s, want %s", b.name, got, path)
	}
	if got := b.heading(); got != heading {
		b.t.Errorf("%s: %s has the heading %q, want %q", b.name, path, got, heading)
	}
}

// status is the status of the document last loaded from u, or 0.
func (b *browser) status(u string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.docs[u]
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}
