package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sesamehq/sesame/bench/report"
	"github.com/sesamehq/sesame/bench/wrk"
)

// measureAll builds the servers and measures every chosen target, one at a
// time, so that no other server takes memory or CPU during a run. It returns
// what it has even on error, so that a run cut short still reports.
func measureAll(ctx context.Context, c *config) (*report.Run, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, errors.New("wrk not found (apt-get install -y wrk)")
	}
	cpus, model, kernel, osName := machineInfo()
	r := &report.Run{
		Started:  time.Now().UTC(),
		Machine:  report.Machine{CPUs: cpus, Model: model, Kernel: kernel, OS: osName},
		Commit:   commit(c.repoRoot),
		Go:       goVersion(),
		Wrk:      wrk.Version(),
		Duration: c.duration.String(), Conns: c.conns, LoginConns: min(c.conns, c.loginConns),
		Threads: c.threads, Repeat: c.repeat, Baseline: "bare",
	}
	for _, sc := range c.scenarios {
		r.Scenarios = append(r.Scenarios, report.Scenario{Name: sc.name, About: sc.about, Sends: sc.sends, Method: sc.method,
			Path: sc.path, Expect: sc.expect, Conns: sc.conns(c)})
	}
	script, err := wrk.WriteScript(c.work)
	if err != nil {
		return nil, err
	}
	if err := build(ctx, c); err != nil {
		return nil, err
	}
	var base *probe // the baseline's answers, to compare the others' with
	for _, t := range c.targets {
		rt, results := measureTarget(ctx, c, t, script, &base)
		r.Targets = append(r.Targets, rt)
		r.Results = append(r.Results, results...)
		if err := ctx.Err(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// measureTarget starts one target with a fresh database, signs in, runs
// every scenario against it and stops it again.
func measureTarget(ctx context.Context, c *config, t target, script string, base **probe) (rt report.Target, results []report.Result) {
	rt = report.Target{Name: t.name, About: t.about, Baseline: t.baseline}
	say := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "load: %s: "+format+"\n", append([]any{t.name}, a...)...)
	}
	url := ""
	if t.urlEnv != "" {
		if url = os.Getenv(t.urlEnv); url == "" {
			rt.Skipped = t.urlEnv + " is not set (give it a URL to measure this target)"
			say("skipped: %s", rt.Skipped)
			return rt, nil
		}
	}
	if url != "" && t.fresh != nil {
		fresh, cleanup, err := t.fresh(ctx, url)
		if err != nil {
			rt.Failed = "a fresh store: " + err.Error()
			say("FAILED: %s", rt.Failed)
			return rt, nil
		}
		defer cleanup()
		url = fresh // printed as the variable's name, like the URL itself
	}
	if t.needs == "gunicorn" {
		if _, err := exec.LookPath("gunicorn"); err != nil {
			rt.Skipped = "gunicorn not found (apt-get install -y gunicorn python3-flask)"
			say("skipped: %s", rt.Skipped)
			return rt, nil
		}
	}
	dir := filepath.Join(c.work, t.name)
	addr, err := freeAddr()
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		rt.Failed = err.Error()
		return rt, nil
	}
	prog, args, env, wd := t.command(c, addr, dir, url)
	rt.Command = printable(c, t, prog, args, env, wd, addr, dir, url)
	say("starting: %s", rt.Command)
	p, err := start(prog, args, env, wd, filepath.Join(dir, "server.log"))
	if err != nil {
		rt.Failed = "start: " + err.Error()
		return rt, nil
	}
	defer p.stop()
	origin := "http://" + addr
	if err := waitHealthy(ctx, p, origin); err != nil {
		msg := oneLine(err.Error())
		if url != "" { // the server may have quoted it, and it may hold a password
			msg = strings.ReplaceAll(msg, url, "$"+t.urlEnv)
		}
		if t.refusable {
			rt.Skipped = "the server refused to start: " + msg
			say("skipped: %s", rt.Skipped)
		} else {
			rt.Failed = msg
			say("FAILED: %s", rt.Failed)
		}
		return rt, nil
	}
	time.Sleep(time.Second) // let start-up work finish before reading its memory
	rt.RSSStartKiB, _ = memory(p.pid())

	pr, err := signIn(ctx, origin)
	if err != nil {
		rt.Failed = err.Error()
		say("FAILED: %s", rt.Failed)
		return rt, nil
	}
	rt.PageBytes, rt.CartBytes = len(pr.page), len(pr.cart)
	if t.baseline {
		*base = &pr
	} else if *base != nil {
		samePage, sameCart := bytes.Equal(pr.page, (*base).page), bytes.Equal(pr.cart, (*base).cart)
		rt.SamePage, rt.SameCart = &samePage, &sameCart
	}

	for _, sc := range c.scenarios {
		res, err := measureScenario(ctx, c, t, sc, script, origin, pr, p)
		if err != nil {
			rt.Failed = sc.name + ": " + err.Error()
			say("FAILED: %s", rt.Failed)
			break
		}
		say("%-11s %8.1f req/s  p50 %7.1f ms  p99 %7.1f ms  %s", sc.name, res.RPS, res.P50Ms, res.P99Ms, okWord(res))
		results = append(results, res)
		if p.exited() {
			rt.Failed = "the server exited during " + sc.name + ": " + p.tail(3)
			break
		}
	}
	settle(ctx, c.busyLimit, c.settleMax)
	rt.RSSEndKiB, rt.PeakKiB = memory(p.pid())
	return rt, results
}

// measureScenario runs wrk c.repeat times and keeps the median run.
func measureScenario(ctx context.Context, c *config, t target, sc scenario, script, origin string, pr probe, p *proc) (report.Result, error) {
	var runs []report.Result
	for range c.repeat {
		busyPct, err := settle(ctx, c.busyLimit, c.settleMax)
		if err != nil {
			return report.Result{}, err
		}
		cpu0, store0 := cpuTime(p.pid()), commandCPU(t.storeProcs...)
		out, err := wrk.Run(ctx, wrk.Options{
			Script: script, URL: origin + sc.path, Threads: c.threads, Conns: sc.conns(c),
			Duration: c.duration, Env: sc.env(c, t.name, origin, pr),
		})
		if err != nil {
			return report.Result{}, err
		}
		// CPU time until wrk stops; a login wrk gave up on may still be
		// hashing, and is billed to the next run's settle instead.
		res := result(t, sc, sc.conns(c), out, cpuTime(p.pid())-cpu0, busyPct)
		if res.Requests > 0 && len(t.storeProcs) > 0 {
			res.StoreCPUPerReqUs = float64((commandCPU(t.storeProcs...) - store0).Microseconds()) / float64(res.Requests)
		}
		runs = append(runs, res)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].RPS < runs[j].RPS })
	res := runs[len(runs)/2]
	if len(runs) > 1 {
		for _, r := range runs {
			res.Runs = append(res.Runs, r.RPS)
		}
	}
	return res, nil
}

// result turns wrk's output into a row, and checks it: every answer must
// have the scenario's status.
func result(t target, sc scenario, conns int, out wrk.Output, cpu time.Duration, busyPct float64) report.Result {
	secs := float64(out.DurationUs) / 1e6
	res := report.Result{
		Target: t.name, Scenario: sc.name, Conns: conns, Requests: out.Requests, Seconds: secs,
		P50Ms: float64(out.P50Us) / 1000, P90Ms: float64(out.P90Us) / 1000,
		P99Ms: float64(out.P99Us) / 1000, MaxMs: float64(out.MaxUs) / 1000,
		Statuses: out.Statuses, Unexpected: out.Unexpected, Non2xx3xx: out.Non2xx3xx,
		Errors:     report.SocketErrors{Connect: out.Errors.Connect, Read: out.Errors.Read, Write: out.Errors.Write, Timeout: out.Errors.Timeout},
		BusyBefore: busyPct, Raw: out.Raw,
	}
	if secs > 0 {
		res.RPS = float64(out.Requests) / secs
	}
	if out.Requests > 0 {
		res.BytesPerReq = float64(out.Bytes) / float64(out.Requests)
		res.CPUPerReqUs = float64(cpu.Microseconds()) / float64(out.Requests)
	}
	var problems []string
	switch {
	case out.Requests == 0:
		problems = append(problems, "no answer came back")
	case !out.Counted:
		problems = append(problems, "statuses were not counted")
	case out.Unexpected > 0:
		problems = append(problems, fmt.Sprintf("%d answers were not %d", out.Unexpected, sc.expect))
	}
	res.OK = len(problems) == 0
	if n := res.Errors.Total(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d socket errors", n))
	}
	res.Problem = strings.Join(problems, "; ")
	return res
}

func okWord(r report.Result) string {
	if r.OK && r.Problem == "" {
		return "ok"
	}
	return "PROBLEM: " + r.Problem
}

// printable writes the command a target ran with the run's own paths and
// port replaced by names, and a URL from the environment by its variable
// (it may hold a password).
func printable(c *config, t target, prog string, args, env []string, wd, addr, dir, url string) string {
	s := strings.Join(append(env, append([]string{prog}, args...)...), " ")
	if wd != "" {
		rel, err := filepath.Rel(c.repoRoot, wd)
		if err != nil {
			rel = wd
		}
		s = "cd " + rel + " && " + s
	}
	if url != "" {
		s = strings.ReplaceAll(s, url, "$"+t.urlEnv)
	}
	s = strings.ReplaceAll(s, dir, "DIR")
	s = strings.ReplaceAll(s, c.bin+string(filepath.Separator), "BIN/")
	return strings.ReplaceAll(s, addr, "127.0.0.1:PORT")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
