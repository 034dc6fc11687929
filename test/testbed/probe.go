package testbed

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Probe is a running client prober (tandem-probe in the client namespace):
// a new TCP connection and HTTP GET every 10 ms, 100 ms timeout each.
type Probe struct {
	proc *Proc
	out  string
}

// Attempt is one probe request.
type Attempt struct {
	Start time.Time
	OK    bool
	Body  string // the backend's name when OK
	Err   string
}

// ProbeResult is what the client saw.
type ProbeResult struct {
	URL        string
	Start, End time.Time
	Attempts   []Attempt // sorted by start time
	Total      int
	Failed     int
	// LongestGap is the longest time between the starts of two consecutive
	// answered requests (or from the start/to the end of probing when the
	// run begins/ends unanswered): the worst outage the client saw.
	LongestGap time.Duration
	// Backends counts answered requests by backend name.
	Backends map[string]int
}

type probeReport struct {
	URL      string `json:"url"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	Attempts []struct {
		T    int64  `json:"t"`
		OK   bool   `json:"ok"`
		Body string `json:"b"`
		Err  string `json:"e"`
	} `json:"attempts"`
}

// StartProbe starts probing url from the client namespace.
func (b *Bed) StartProbe(url string) (*Probe, error) {
	out := filepath.Join(b.dir, fmt.Sprintf("probe-%d.json", logSeq.Add(1)))
	p, err := b.Start(Client, b.Bin(progProbe), "-interval", "10ms", "-timeout", "100ms", "-out", out, url)
	if err != nil {
		return nil, err
	}
	return &Probe{proc: p, out: out}, nil
}

// Stop ends probing and returns the analysed results.
func (p *Probe) Stop() (ProbeResult, error) {
	if err := p.proc.Kill(syscall.SIGTERM); err != nil {
		return ProbeResult{}, err
	}
	select {
	case <-p.proc.Done():
	case <-time.After(5 * time.Second):
		p.proc.kill9()
		return ProbeResult{}, fmt.Errorf("testbed: probe did not stop on SIGTERM; log: %s", p.proc.Log())
	}
	data, err := os.ReadFile(p.out)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("testbed: probe results: %w; log: %s", err, strings.TrimSpace(p.proc.Log()))
	}
	return ParseProbe(data)
}

// ParseProbe decodes and analyses a tandem-probe JSON report.
func ParseProbe(data []byte) (ProbeResult, error) {
	var rep probeReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return ProbeResult{}, fmt.Errorf("testbed: parse probe report: %w", err)
	}
	r := ProbeResult{
		URL:      rep.URL,
		Start:    time.Unix(0, rep.Start),
		End:      time.Unix(0, rep.End),
		Backends: map[string]int{},
	}
	for _, a := range rep.Attempts {
		r.Attempts = append(r.Attempts, Attempt{Start: time.Unix(0, a.T), OK: a.OK, Body: a.Body, Err: a.Err})
	}
	slices.SortFunc(r.Attempts, func(x, y Attempt) int { return x.Start.Compare(y.Start) })
	r.Total = len(r.Attempts)
	for _, a := range r.Attempts {
		if a.OK {
			r.Backends[a.Body]++
		} else {
			r.Failed++
		}
	}
	r.LongestGap = r.longestGap()
	return r, nil
}

// okTimes returns the start times of answered attempts, in order.
func (r ProbeResult) okTimes() []time.Time {
	var ts []time.Time
	for _, a := range r.Attempts {
		if a.OK {
			ts = append(ts, a.Start)
		}
	}
	return ts
}

func (r ProbeResult) longestGap() time.Duration {
	ts := r.okTimes()
	if len(ts) == 0 {
		return r.End.Sub(r.Start)
	}
	gap := max(ts[0].Sub(r.Start), r.End.Sub(ts[len(ts)-1]))
	for i := 1; i < len(ts); i++ {
		gap = max(gap, ts[i].Sub(ts[i-1]))
	}
	return gap
}

// GapAround returns the outage a fault at time t caused: the longest gap
// between consecutive answered requests (or from the last one to the end of
// probing) that ends after t. Requests already in flight at t may still be
// answered, so the outage may begin a little after t; a gap that ended
// before t is not the fault's doing and is ignored.
func (r ProbeResult) GapAround(t time.Time) time.Duration {
	prev := r.Start
	var gap time.Duration
	for _, ts := range append(r.okTimes(), r.End) {
		if ts.After(t) {
			gap = max(gap, ts.Sub(prev))
		}
		prev = ts
	}
	return gap
}

// Recovered reports whether some request started after t was answered.
func (r ProbeResult) Recovered(t time.Time) bool {
	for _, ts := range r.okTimes() {
		if ts.After(t) {
			return true
		}
	}
	return false
}

// String is a one-line summary for logs.
func (r ProbeResult) String() string {
	return fmt.Sprintf("probe %s: %d attempts, %d failed, longest gap %s, backends %v",
		r.URL, r.Total, r.Failed, FormatDuration(r.LongestGap), r.Backends)
}

// WaitHTTP retries a GET from the client namespace until one is answered.
func (b *Bed) WaitHTTP(url string, timeout time.Duration) error {
	_, err := b.Get(url, timeout)
	return err
}

// Get does GETs from the client namespace until one is answered within
// timeout, and returns the body (a backend's name).
func (b *Bed) Get(url string, timeout time.Duration) (string, error) {
	out, err := b.Exec(Client, b.Bin(progProbe), "-wait", timeout.String(), "-interval", "20ms", url)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}
