package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Markdown writes the run as the load command prints it: a heading that
// says how it was measured, one table row per scenario and target with its
// ratio to the baseline, then the targets (memory, answer sizes, commands)
// and the scenarios.
func Markdown(w io.Writer, r *Run) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## sesame load test, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	p("Commit %s; %s; Go %s; wrk %s with %d threads, %s per scenario, %d connections (logins: %d)",
		code(r.Commit), r.Machine, r.Go, r.Wrk, r.Threads, r.Duration, r.Conns, r.LoginConns)
	if r.Repeat > 1 {
		p(", each scenario run %d times and the median kept", r.Repeat)
	}
	p(". wrk and each server share the same %d CPUs; the targets ran one at a time. ", r.Machine.CPUs)
	p("**× %s** is the ratio of requests/s to %s's (no session at all) in the same scenario of this run.\n\n", r.Baseline, r.Baseline)

	p("| scenario | target | req/s | × %s | p50 ms | p99 ms | server CPU µs/req (+ its store's) | socket errors | answers |\n", r.Baseline)
	p("|---|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, sc := range r.Scenarios {
		first := true
		for _, t := range r.Measured() {
			res := r.Result(t.Name, sc.Name)
			if res == nil {
				continue
			}
			name := sc.Name
			if !first {
				name = ""
			}
			first = false
			tname := t.Name
			if t.Baseline {
				tname += " (no session)"
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, tname, Thousands(res.RPS),
				ratio(res.Ratio), ms(res.P50Ms), ms(res.P99Ms), cpuCell(res), res.Errors, answers(res, sc.Expect))
		}
	}

	p("\n| target | what it is | RSS at start | RSS after | peak RSS | products page | cart answer |\n")
	p("|---|---|---:|---:|---:|---|---|\n")
	for _, t := range r.Targets {
		if t.Skipped != "" {
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", t.Name, t.About, mib(t.RSSStartKiB), mib(t.RSSEndKiB),
			mib(t.PeakKiB), body(t.PageBytes, t.SamePage, t.Baseline), body(t.CartBytes, t.SameCart, t.Baseline))
	}
	for _, t := range r.Targets {
		if t.Failed != "" {
			p("\n**%s failed:** %s\n", t.Name, t.Failed)
		}
	}
	var skipped []string
	for _, t := range r.Targets {
		if t.Skipped != "" {
			skipped = append(skipped, fmt.Sprintf("- %s (%s): %s", t.Name, t.About, t.Skipped))
		}
	}
	if len(skipped) > 0 {
		p("\nNot measured:\n\n%s\n", strings.Join(skipped, "\n"))
	}
	p("\nScenarios (every answer must have the status given; any other fails the row):\n\n")
	for _, sc := range r.Scenarios {
		p("- **%s**: %s %s, %d connections, expect %d. %s\n", sc.Name, sc.Method, sc.Path, sc.Conns, sc.Expect, sc.About)
	}
	p("\nCommands (PORT and DIR are chosen per run):\n\n")
	for _, t := range r.Targets {
		if t.Command != "" {
			p("- %s: `%s`\n", t.Name, t.Command)
		}
	}
}

func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (%s), %s, Linux %s", m.CPUs, m.Model, m.OS, m.Kernel)
}

func code(s string) string {
	if s == "" {
		return "unknown"
	}
	return "`" + s + "`"
}

func ratio(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

func ms(v float64) string {
	if v >= 100 {
		return Thousands(v)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func mib(kib int64) string {
	if kib == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}

func body(n int, same *bool, baseline bool) string {
	if n == 0 {
		return "—"
	}
	s := Thousands(float64(n)) + " B"
	switch {
	case baseline:
	case same == nil:
	case *same:
		s += ", same bytes as the baseline"
	default:
		s += ", **differs** from the baseline"
	}
	return s
}

// answers sums up the statuses: "ok, 200 × 27,400", or what was wrong.
func answers(res *Result, expect int) string {
	codes := make([]string, 0, len(res.Statuses))
	for c := range res.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, c+" × "+Thousands(float64(res.Statuses[c])))
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		s = "statuses not counted"
	}
	if res.OK {
		return "ok: " + s
	}
	return fmt.Sprintf("**FAIL** (%s): %s", res.Problem, s)
}

// Thousands writes v rounded to an integer with its thousands grouped.
func Thousands(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// cpuCell is the server's CPU per answer, and the store server's after a
// plus when it was measured: "450 + 120".
func cpuCell(res *Result) string {
	if res.StoreCPUPerReqUs == 0 {
		return Thousands(res.CPUPerReqUs)
	}
	return Thousands(res.CPUPerReqUs) + " + " + Thousands(res.StoreCPUPerReqUs)
}
