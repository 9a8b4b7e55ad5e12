package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// This file audits pages with axe-core. The bundle is put into the page
// through the DevTools protocol (Runtime.evaluate), which the page's CSP
// does not govern: the CSP forbids inline scripts, and rightly. A violation
// of impact "serious" or "critical" fails the test; lesser ones are logged.

// axeViolation is one rule a page breaks, as axe.run reports it, cut down.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"url"`
	Nodes  []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// runAxe runs every rule of axe-core's default set (WCAG 2 A and AA, best
// practices) on the page and returns what it breaks.
const runAxe = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, url: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary || ''})),
})))`

// audited are the pages axe-core has checked in this run of the package, by
// auditKey. Each is checked once, by whichever test shows it first: the
// pages are the same in every test, and an audit costs a few hundred ms.
var audited struct {
	sync.Mutex
	keys map[string]bool
}

// auditKey names the page shown: the width it is shown at, its path
// without ids or query, its title and how many forms and tables it has (an
// empty cart and a full one are different pages). /orders/1 and /orders/2
// are one page.
func (b *browser) auditKey() string {
	b.t.Helper()
	return fmt.Sprintf("%dpx ", b.width) + eval[string](b, `location.pathname.replace(/\/[0-9]+(?=\/|$)/g, '/{id}') + '|' + document.title + '|' + document.forms.length + '|' + document.querySelectorAll('table').length`)
}

// audit has axe-core check the page shown, unless it has been checked
// before. Without axe-core it does nothing (newBrowser has said why, or
// failed the test in CI).
func (b *browser) audit() {
	b.t.Helper()
	if axe.source == "" {
		return
	}
	if !strings.HasPrefix(b.pathOrURL(), "/") {
		return // not a page of the site
	}
	key := b.auditKey()
	audited.Lock()
	seen := audited.keys[key]
	if audited.keys == nil {
		audited.keys = map[string]bool{}
	}
	audited.keys[key] = true
	audited.Unlock()
	if seen {
		return
	}
	for _, v := range b.axe() {
		msg := fmt.Sprintf("%s: axe-core, on %s: %s (%s, %s): %s", b.name, b.path(), v.ID, v.Impact, v.URL, v.Help)
		for _, n := range v.Nodes {
			msg += fmt.Sprintf("\n\t%s\n\t\t%s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// axe runs axe-core on the page shown, putting it there first if needed.
func (b *browser) axe() []axeViolation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, auditTimeout)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === 'object' && typeof axe.run === 'function'`))
	if err == nil && !loaded {
		err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axe.source+"\n;undefined"))
	}
	var found []axeViolation
	if err == nil {
		found, err = chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](runAxe, chromedp.EvalAwaitPromise))
	}
	if err != nil {
		b.t.Fatalf("%s: axe-core on %s: %v", b.name, b.path(), err)
	}
	// axe-core must not make the page report anything itself.
	b.report(b.takeProblems(), ", during the audit")
	return found
}
