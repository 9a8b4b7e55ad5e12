// Package report holds the results of one run of the load command, as it
// writes them to JSON and as the chart command reads them back, and renders
// them as the markdown table the load command prints.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Run is everything one run of the load command measured.
type Run struct {
	Started    time.Time  `json:"started"`
	Finished   time.Time  `json:"finished"`
	Machine    Machine    `json:"machine"`
	Commit     string     `json:"commit"` // of the repository sesame was built from; "+dirty" when it had changes
	Go         string     `json:"go"`
	Wrk        string     `json:"wrk"`
	Duration   string     `json:"duration"` // per scenario
	Conns      int        `json:"conns"`
	LoginConns int        `json:"login_conns"`
	Threads    int        `json:"threads"`
	Repeat     int        `json:"repeat"` // runs per scenario; the median by requests/s is kept
	Baseline   string     `json:"baseline"`
	Scenarios  []Scenario `json:"scenarios"`
	Targets    []Target   `json:"targets"`
	Results    []Result   `json:"results"`
}

// Machine describes where the run happened: wrk and the servers share it.
type Machine struct {
	CPUs   int    `json:"cpus"`
	Model  string `json:"model"`
	Kernel string `json:"kernel"`
	OS     string `json:"os"`
}

// Scenario is one kind of request, sent to every target the same way.
type Scenario struct {
	Name   string `json:"name"`
	About  string `json:"about"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Sends  string `json:"sends"`  // in short: "signed in", "no cookie", …
	Expect int    `json:"expect"` // the status every answer must have
	Conns  int    `json:"conns"`
}

// Target is one server under test.
type Target struct {
	Name     string `json:"name"`
	About    string `json:"about"`
	Baseline bool   `json:"baseline,omitempty"`
	Command  string `json:"command,omitempty"`
	// Skipped says why the target was not measured (not configured, or
	// refused to start); Failed says what went wrong with one that was.
	Skipped     string `json:"skipped,omitempty"`
	Failed      string `json:"failed,omitempty"`
	RSSStartKiB int64  `json:"rss_start_kib,omitempty"` // 1 s after /healthz first answered
	RSSEndKiB   int64  `json:"rss_end_kib,omitempty"`   // after the last scenario, once the CPUs were idle
	PeakKiB     int64  `json:"peak_kib,omitempty"`      // VmHWM, summed over the process tree
	PageBytes   int    `json:"page_bytes,omitempty"`    // body of GET /products, signed in
	CartBytes   int    `json:"cart_bytes,omitempty"`    // body of GET /api/v1/cart
	// SamePage and SameCart: the body is byte for byte the baseline's.
	SamePage *bool `json:"same_page,omitempty"`
	SameCart *bool `json:"same_cart,omitempty"`
}

// Result is one wrk run of one scenario against one target.
type Result struct {
	Target      string   `json:"target"`
	Scenario    string   `json:"scenario"`
	Conns       int      `json:"conns"`
	Requests    int64    `json:"requests"`
	Seconds     float64  `json:"seconds"`
	RPS         float64  `json:"rps"`
	Ratio       *float64 `json:"ratio_to_baseline,omitempty"`
	P50Ms       float64  `json:"p50_ms"`
	P90Ms       float64  `json:"p90_ms"`
	P99Ms       float64  `json:"p99_ms"`
	MaxMs       float64  `json:"max_ms"`
	BytesPerReq float64  `json:"bytes_per_request"` // headers included
	CPUPerReqUs float64  `json:"server_cpu_us_per_request"`
	// StoreCPUPerReqUs is the CPU time the local PostgreSQL or Redis server
	// used per answer (zero for the targets with no such store).
	StoreCPUPerReqUs float64          `json:"store_cpu_us_per_request,omitempty"`
	Statuses         map[string]int64 `json:"statuses"`
	Unexpected       int64            `json:"unexpected"` // answers whose status was not the scenario's
	Non2xx3xx        int64            `json:"non_2xx_3xx"`
	Errors           SocketErrors     `json:"socket_errors"`
	BusyBefore       float64          `json:"cpu_busy_before_pct"` // machine CPU use just before wrk started
	OK               bool             `json:"ok"`
	Problem          string           `json:"problem,omitempty"`
	Runs             []float64        `json:"runs_rps,omitempty"` // every run's requests/s when Repeat > 1
	Raw              string           `json:"wrk_output"`
}

// SocketErrors are wrk's counts of failed connections and requests.
type SocketErrors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
}

// Total is the sum of every kind.
func (e SocketErrors) Total() int64 { return e.Connect + e.Read + e.Write + e.Timeout }

func (e SocketErrors) String() string {
	if e.Total() == 0 {
		return "0"
	}
	return fmt.Sprintf("connect %d, read %d, write %d, timeout %d", e.Connect, e.Read, e.Write, e.Timeout)
}

// Result returns the result of target in scenario, or nil.
func (r *Run) Result(target, scenario string) *Result {
	for i := range r.Results {
		if r.Results[i].Target == target && r.Results[i].Scenario == scenario {
			return &r.Results[i]
		}
	}
	return nil
}

// Measured returns the targets that have at least one result, in run order.
func (r *Run) Measured() []Target {
	var ts []Target
	for _, t := range r.Targets {
		for _, res := range r.Results {
			if res.Target == t.Name {
				ts = append(ts, t)
				break
			}
		}
	}
	return ts
}

// SetRatios fills in each result's ratio to the baseline's result in the
// same scenario of the same run.
func (r *Run) SetRatios() {
	for i := range r.Results {
		res := &r.Results[i]
		base := r.Result(r.Baseline, res.Scenario)
		res.Ratio = nil
		if base != nil && base.RPS > 0 && base.OK {
			v := res.RPS / base.RPS
			res.Ratio = &v
		}
	}
}

// Load reads a Run from a JSON file the load command wrote.
func Load(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// Save writes r to path as indented JSON.
func (r *Run) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
