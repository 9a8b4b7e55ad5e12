package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What the load command reads from Linux's /proc: memory and CPU time of a
// server's process tree, and how busy the machine is.

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux the load command runs on.
const clockTicks = 100

func numCPU() int { return runtime.NumCPU() }

// tree returns pid and all its descendants (gunicorn's workers).
func tree(pid int) []int {
	parent := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(child); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			parent[ppid] = append(parent[ppid], child)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, parent[out[i]]...)
	}
	return out
}

// statFields returns the fields of /proc/PID/stat after the command name
// (which may hold spaces): state, ppid, … so utime is index 11, stime 12.
func statFields(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// memory returns VmRSS and VmHWM (peak RSS) in KiB, summed over the tree.
func memory(pid int) (rss, peak int64) {
	for _, p := range tree(pid) {
		f, err := os.Open(filepath.Join("/proc", strconv.Itoa(p), "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			switch k {
			case "VmRSS":
				rss += n
			case "VmHWM":
				peak += n
			}
		}
		f.Close()
	}
	return rss, peak
}

// cpuTime returns the CPU time (user + system) the tree has used so far.
func cpuTime(pid int) time.Duration {
	var ticks int64
	for _, p := range tree(pid) {
		if f := statFields(p); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// commandCPU returns the CPU time (user + system) used so far by every
// process whose command name is one of names: the local PostgreSQL or
// Redis server that a target keeps its data in.
func commandCPU(names ...string) time.Duration {
	if len(names) == 0 {
		return 0
	}
	var ticks int64
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || !slices.Contains(names, strings.TrimSpace(string(comm))) {
			continue
		}
		if f := statFields(pid); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// machineTicks returns the total and idle (idle + iowait) jiffies of all CPUs.
func machineTicks() (total, idle int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // "cpu user nice system idle iowait irq softirq steal …"
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return total, idle
}

// busy returns the share (0–100) of the machine's CPU time used over d.
func busy(ctx context.Context, d time.Duration) float64 {
	t0, i0 := machineTicks()
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	t1, i1 := machineTicks()
	if t1 <= t0 {
		return 0
	}
	return 100 * float64((t1-t0)-(i1-i0)) / float64(t1-t0)
}

// settle waits until the machine is idle (under limit % busy over half a
// second), at most max, and returns the last reading. Without it, work a
// server still does for the previous scenario (the password hashes of logins
// wrk gave up on) is billed to the next one: the first harness saw 10× slower
// runs after a login scenario.
func settle(ctx context.Context, limit float64, max time.Duration) (float64, error) {
	deadline := time.Now().Add(max)
	for {
		b := busy(ctx, 500*time.Millisecond)
		if err := ctx.Err(); err != nil {
			return b, err
		}
		if b < limit {
			return b, nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "load: warning: the CPUs are still %.0f%% busy after %s; measuring anyway\n", b, max)
			return b, nil
		}
	}
}

// machine describes this computer for the report.
func machineInfo() (cpus int, model, kernel, osName string) {
	cpus = numCPU()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	return cpus, model, kernel, osName
}
