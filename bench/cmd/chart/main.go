// Command chart draws the results of the load command as an SVG bar chart:
// one panel per scenario, one bar per target, requests/s, with the
// no-session baseline drawn grey and carried across its panel as a dashed
// line, so that every bar reads against it.
//
//	go run ./cmd/chart results/2026-12-03.json > results/2026-12-03.svg
//
// The SVG is written by hand: text and rect elements, a generic font
// family, no scripts, no external files.
package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/sesamehq/sesame/bench/report"
)

// Layout, in SVG user units (pixels at 100%).
const (
	width      = 980
	margin     = 24
	labelW     = 130 // target names, right-aligned
	barX       = margin + labelW + 10
	barMaxW    = 560 // the longest bar; the rest is for its value text
	barH       = 16
	barGap     = 6
	panelHead  = 40 // scenario title and what it sends
	panelFoot  = 30 // tick labels
	panelGap   = 18
	titleBlock = 112
)

// colours by target; a target not listed is drawn dark grey.
var colours = map[string]string{
	"bare":          "#9aa0a6",
	"bare-mattn":    "#ced4da",
	"sesame":        "#d9480f",
	"sesame-memory": "#f08c00",
	"sesame-pg":     "#c2255c",
	"sesame-redis":  "#9c36b5",
	"scs":           "#1864ab",
	"scs-noidle":    "#4dabf7",
	"flask":         "#2b8a3e",
	"flask-sync":    "#8ce99a",
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: chart RESULTS.json > chart.svg")
		os.Exit(2)
	}
	r, err := report.Load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
	r.SetRatios()
	if err := draw(os.Stdout, r); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

type svg struct {
	w   io.Writer
	err error
}

func (s *svg) p(format string, a ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format+"\n", a...)
	}
}

func (s *svg) text(x, y float64, size int, anchor, weight, fill, body string) {
	s.p(`<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" font-weight="%s" fill="%s">%s</text>`,
		x, y, size, anchor, weight, fill, html.EscapeString(body))
}

func draw(w io.Writer, r *report.Run) error {
	targets := r.Measured()
	if len(targets) == 0 {
		return fmt.Errorf("no results to draw")
	}
	panelH := func() int { return panelHead + len(targets)*(barH+barGap) + panelFoot }
	var notes []string
	for _, t := range r.Targets {
		switch {
		case t.Skipped != "":
			notes = append(notes, "Not measured: "+t.Name+": "+t.Skipped)
		case t.Failed != "":
			notes = append(notes, "Failed: "+t.Name+": "+t.Failed)
		}
	}
	height := titleBlock + len(r.Scenarios)*(panelH()+panelGap) + len(notes)*16 + margin

	s := &svg{w: w}
	s.p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`,
		width, height, width, height)
	s.p(`<rect width="100%%" height="100%%" fill="#ffffff"/>`)
	s.text(margin, 34, 20, "start", "bold", "#212529", "sesame and its peers: requests per second, by scenario")
	runs := ""
	if r.Repeat > 1 {
		runs = fmt.Sprintf(", median of %d runs", r.Repeat)
	}
	s.text(margin, 56, 12, "start", "normal", "#495057", fmt.Sprintf("%s · commit %s · %d CPUs shared by wrk and the server · wrk %d threads, %s per scenario%s, %d connections (logins %d)",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Commit, r.Machine.CPUs, r.Threads, r.Duration, runs, r.Conns, r.LoginConns))
	s.text(margin, 74, 12, "start", "normal", "#495057",
		"Each panel has its own scale. Longer is better. After each bar: requests/s and the ratio to the baseline in the same run.")
	legend(s, 96)

	y := titleBlock
	for _, sc := range r.Scenarios {
		panel(s, r, sc, targets, y)
		y += panelH() + panelGap
	}
	for _, n := range notes {
		s.text(margin, float64(y), 11, "start", "normal", "#495057", clip(n, 160))
		y += 16
	}
	s.p(`</svg>`)
	return s.err
}

// legend explains the two marks that make the baseline stand out.
func legend(s *svg, y float64) {
	x := float64(margin)
	s.p(`<rect x="%.1f" y="%.1f" width="14" height="12" fill="%s"/>`, x, y-10, colours["bare"])
	s.text(x+20, y, 12, "start", "normal", "#212529", "bare: the same pages with no session at all (the no-session baseline)")
	x += 440
	s.p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#343a40" stroke-width="1.5" stroke-dasharray="4 3"/>`, x, y-11, x, y+2)
	s.text(x+8, y, 12, "start", "normal", "#212529", "the baseline's level in each panel")
	x += 230
	s.p(`<rect x="%.1f" y="%.1f" width="14" height="12" fill="#ffffff" stroke="#c92a2a" stroke-width="1.5" stroke-dasharray="3 2"/>`, x, y-10)
	s.text(x+20, y, 12, "start", "normal", "#212529", "a run whose answers failed the check")
}

func panel(s *svg, r *report.Run, sc report.Scenario, targets []report.Target, top int) {
	y := float64(top)
	s.p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dee2e6"/>`, margin, y, width-margin, y)
	s.p(`<text x="%d" y="%.1f" fill="#212529"><tspan font-size="15" font-weight="bold">%s</tspan><tspan dx="10" font-size="12" fill="#495057">%s</tspan></text>`,
		margin, y+20, html.EscapeString(sc.Name), html.EscapeString(fmt.Sprintf("%s %s, %s, %d connections, every answer %d",
			sc.Method, sc.Path, sc.Sends, sc.Conns, sc.Expect)))

	max := 0.0
	for _, t := range targets {
		if res := r.Result(t.Name, sc.Name); res != nil {
			max = math.Max(max, res.RPS)
		}
	}
	step := niceStep(max)
	scaleMax := math.Max(step, math.Ceil(max/step)*step)
	scale := func(v float64) float64 { return barMaxW * v / scaleMax }
	barsTop := y + panelHead
	barsBottom := barsTop + float64(len(targets)*(barH+barGap))

	// Grid lines and their labels under the bars.
	for v := 0.0; v <= scaleMax+step/2; v += step {
		x := barX + scale(v)
		s.p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e9ecef"/>`, x, barsTop-4, x, barsBottom)
		s.text(x, barsBottom+14, 11, "middle", "normal", "#868e96", rate(v))
	}
	s.text(barX-8, barsBottom+14, 11, "end", "normal", "#868e96", "requests/s")

	type label struct {
		x, y float64
		bold bool
		text string
	}
	var labels []label
	for i, t := range targets {
		res := r.Result(t.Name, sc.Name)
		by := barsTop + float64(i*(barH+barGap))
		name := t.Name
		if t.Baseline {
			name += " (no session)"
		}
		s.text(barX-8, by+barH-4, 12, "end", weight(t.Baseline), "#212529", name)
		if res == nil {
			s.text(barX+4, by+barH-4, 12, "start", "normal", "#868e96", "not measured")
			continue
		}
		bw := math.Max(1, scale(res.RPS))
		colour, ok := colours[t.Name]
		if !ok {
			colour = "#495057"
		}
		if res.OK {
			s.p(`<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="%s"><title>%s %s: %.1f requests/s</title></rect>`,
				barX, by, bw, barH, colour, html.EscapeString(t.Name), html.EscapeString(sc.Name), res.RPS)
		} else {
			s.p(`<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="#ffffff" stroke="#c92a2a" stroke-width="1.5" stroke-dasharray="3 2"/>`,
				barX, by, bw, barH)
		}
		text := rate(res.RPS) + "/s"
		switch {
		case !res.OK:
			text += " · FAILED: " + res.Problem
		case t.Baseline:
			text += " · baseline"
		case res.Ratio != nil:
			text += " · " + strconv.FormatFloat(*res.Ratio, 'f', 2, 64) + "×"
		}
		labels = append(labels, label{barX + bw + 6, by + barH - 4, t.Baseline, text})
	}
	// The baseline's line over the bars, and the values over the line on a
	// white ground, so that each stays readable where the line crosses it.
	for _, t := range targets {
		if res := r.Result(t.Name, sc.Name); t.Baseline && res != nil && res.OK {
			x := barX + math.Max(1, scale(res.RPS))
			s.p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#343a40" stroke-width="1.5" stroke-dasharray="4 3"/>`,
				x, barsTop-6, x, barsBottom+2)
		}
	}
	for _, l := range labels {
		// About 6.8 units per character at 12 px in a Helvetica-like font.
		s.p(`<rect x="%.1f" y="%.1f" width="%.1f" height="14" fill="#ffffff"/>`,
			l.x-2, l.y-11, float64(len([]rune(l.text)))*6.8+4)
		s.p(`<text x="%.1f" y="%.1f" font-size="12" font-weight="%s" fill="#212529">%s</text>`,
			l.x, l.y, weight(l.bold), html.EscapeString(l.text))
	}
}

// clip shortens s to at most n characters, so that a long reason stays on
// the chart.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func weight(baseline bool) string {
	if baseline {
		return "bold"
	}
	return "normal"
}

// niceStep returns a grid step of 1, 2 or 5 times a power of ten that
// gives about four to six lines up to max.
func niceStep(max float64) float64 {
	if max <= 0 {
		return 1
	}
	raw := max / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// rate writes a rate readably: "27.7k", "3,486", "5.2".
func rate(v float64) string {
	switch {
	case v >= 10000:
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + "k"
	case v >= 100:
		return report.Thousands(v)
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}
