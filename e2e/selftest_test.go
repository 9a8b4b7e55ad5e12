package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHarnessSeesProblems proves that the watch on every page is not blind:
// a page made to break its CSP, write a console error and throw reports
// all of it, and axe-core, when there, finds a button with no name. (The
// other tests pass only because nothing of the kind happens on sesame's
// pages.)
func TestHarnessSeesProblems(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "the visitor")
	b.open("/login")

	eval[chromedp.Void](b, `void (() => {
		const s = document.createElement('script');
		s.textContent = 'window.inlineScriptRan = true';
		document.body.append(s);
		document.querySelector('h1').setAttribute('style', 'color: red');
		const img = document.createElement('img');
		img.alt = '';
		img.src = 'http://localhost:9/elsewhere.png';
		document.body.append(img);
		console.error('a console error');
		setTimeout(() => { throw new Error('an uncaught exception'); });
	})()`)
	problems := b.takeProblems()
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		`Content-Security-Policy violation: {"directive":"script-src-elem"`,
		`Content-Security-Policy violation: {"directive":"style-src-attr"`,
		`Content-Security-Policy violation: {"directive":"img-src"`,
		"security error: ", // the browser's own log of a violation
		`console.error("a console error")`,
		"uncaught exception: Uncaught Error: an uncaught exception",
	} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("the watch missed %q; it saw:\n%s", want, all)
		}
	}
	if eval[bool](b, `window.inlineScriptRan === true`) {
		t.Error("the CSP let an inline script run")
	}

	if axe.source == "" {
		t.Log("axe-core is missing, not checked: " + axe.missing)
		return
	}
	eval[chromedp.Void](b, `void document.body.append(document.createElement('button'))`)
	found := b.axe()
	if !slices.ContainsFunc(found, func(v axeViolation) bool { return v.ID == "button-name" && v.Impact == "critical" }) {
		t.Errorf("axe-core missed a button with no name; it found %+v", found)
	}
	b.open("/login") // a clean page for the last look at the end of the test
}
