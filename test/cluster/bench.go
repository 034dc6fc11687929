package cluster

import (
	"fmt"
	"io"
	"time"

	"tandem/test/keepalived"
	"tandem/test/testbed"
)

// MeasureOnce builds a fresh bed, starts the tandem pair with the given
// profile, injects the scenario's fault on the active node while the
// client probes the VIP (a new connection every 10 ms, 100 ms timeout),
// and returns the outage: the longest gap between answered requests
// around the fault. It uses keepalived's scenarios, so both systems get
// exactly the same fault.
func MeasureOnce(profile string, s keepalived.Scenario) (time.Duration, error) {
	bed, err := testbed.New(nil, testbed.Options{})
	if err != nil {
		return 0, err
	}
	defer bed.Close()
	p, err := Start(bed, Options{Profile: profile})
	if err != nil {
		return 0, err
	}
	active, err := p.WaitHolder("", 10*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, p.Logs())
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 10*time.Second); err != nil {
		return 0, err
	}
	time.Sleep(time.Second) // both nodes settled and heard each other
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		return 0, err
	}
	time.Sleep(500 * time.Millisecond)
	fault := time.Now()
	if err := s.Fault(bed, active); err != nil {
		_, _ = probe.Stop()
		return 0, fmt.Errorf("tandem: %s on %s: %w", s.Name, active, err)
	}
	_, takeover := p.WaitHolder(Other(active), 15*time.Second)
	time.Sleep(time.Second)
	res, err := probe.Stop()
	if err != nil {
		return 0, err
	}
	if takeover != nil {
		return 0, fmt.Errorf("%w\n%s", takeover, p.Logs())
	}
	if !res.Recovered(fault) {
		return 0, fmt.Errorf("tandem: %s: client not served after the fault: %v", s.Name, res)
	}
	return res.GapAround(fault), nil
}

// Result is the outages measured for one profile and scenario.
type Result struct {
	Profile  string
	Scenario keepalived.Scenario
	Outages  []time.Duration
	Errors   []error
}

// Bench runs every scenario n times for each profile.
func Bench(n int, profiles []string, scenarios []keepalived.Scenario, log io.Writer) []Result {
	var out []Result
	for _, prof := range profiles {
		for _, s := range scenarios {
			r := Result{Profile: prof, Scenario: s}
			for i := range n {
				d, err := MeasureOnce(prof, s)
				if err != nil {
					r.Errors = append(r.Errors, err)
				} else {
					r.Outages = append(r.Outages, d)
				}
				if log != nil {
					fmt.Fprintf(log, "tandem %s, %s, run %d/%d: outage %s err %v\n",
						prof, s.Name, i+1, n, testbed.FormatDuration(d), err)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// AddTo appends results to a table made with testbed.StatsHeader("system",
// "scenario").
func AddTo(t *testbed.Table, results []Result) {
	for _, r := range results {
		t.AddStats(testbed.Summarize(r.Outages), "tandem "+r.Profile, r.Scenario.Name)
	}
}
