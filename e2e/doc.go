// Package e2e holds sesame's real-browser tests. They start the real
// program (app.Server) on 127.0.0.1:0 with a fresh SQLite file and drive a
// headless Chromium through the DevTools protocol (chromedp): journeys of
// the demo users, the security promises that only a browser can show
// (HttpOnly cookies, the Content-Security-Policy, no-store pages behind the
// Back button, cross-origin forms, revoked sessions) and an axe-core
// accessibility audit of every page visited.
//
// The browser is found through SESAME_CHROMIUM, /usr/bin/chromium or
// chromium in PATH, and axe-core in SESAME_AXE (default
// ${XDG_CACHE_HOME:-~/.cache}/sesame/axe, into which `npm install --prefix
// DIR axe-core@4` puts it); `eval "$(.ci/browser-deps)"` installs both and
// sets the two. Without the browser the tests are skipped with the reason,
// without axe-core the audits are; under CI=true either is a failure. With
// SESAME_SCREENSHOTS=DIR, TestScreenshots saves full-page PNGs of the main
// pages at desktop and phone widths into DIR.
//
// The package has no code of its own: everything is in its tests.
package e2e
