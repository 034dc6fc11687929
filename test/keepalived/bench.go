package keepalived

import (
	"fmt"
	"io"
	"syscall"
	"time"

	"tandem/test/testbed"
)

// Scenario is a fault injected on the active node.
type Scenario struct {
	Name  string
	Fault func(bed *testbed.Bed, active string) error
}

var (
	// NodeDeath is scenario B: the active node dies at once (links down,
	// every process SIGKILLed).
	NodeDeath = Scenario{Name: "node death", Fault: func(bed *testbed.Bed, active string) error {
		_, err := bed.KillHard(active)
		return err
	}}
	// HAProxyCrash is scenario C: every HAProxy process (master and worker)
	// on the active node gets SIGKILL; keepalived stays up.
	HAProxyCrash = Scenario{Name: "haproxy crash", Fault: func(bed *testbed.Bed, active string) error {
		pids, err := bed.KillNamed(active, "haproxy", syscall.SIGKILL)
		if err == nil && len(pids) == 0 {
			err = fmt.Errorf("no haproxy running on %s", active)
		}
		return err
	}}
)

// Scenarios are both, in table order.
var Scenarios = []Scenario{NodeDeath, HAProxyCrash}

// MeasureOnce builds a fresh bed, runs the cluster with variant v, injects
// the scenario's fault on the active node while the client probes the VIP,
// and returns the outage the client saw around the fault.
func MeasureOnce(v Variant, s Scenario) (time.Duration, error) {
	bed, err := testbed.New(nil, testbed.Options{ConfigureLBAddrs: true})
	if err != nil {
		return 0, err
	}
	defer bed.Close()
	c, err := Run(bed, v)
	if err != nil {
		return 0, err
	}
	active := c.Active()
	other := testbed.LB2
	if active == testbed.LB2 {
		other = testbed.LB1
	}
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		return 0, err
	}
	time.Sleep(500 * time.Millisecond) // a steady baseline before the fault
	fault := time.Now()
	if err := s.Fault(bed, active); err != nil {
		_, _ = probe.Stop()
		return 0, fmt.Errorf("keepalived: %s on %s: %w", s.Name, active, err)
	}
	takeover := c.WaitActive(other, 15*time.Second)
	time.Sleep(1 * time.Second) // let the client's first answers after the move come in
	res, err := probe.Stop()
	if err != nil {
		return 0, err
	}
	if takeover != nil {
		return 0, fmt.Errorf("%w; %s log:\n%s", takeover, other, c.Keep[other].Log())
	}
	if !res.Recovered(fault) {
		return 0, fmt.Errorf("keepalived: %s: client not served after the fault: %v", s.Name, res)
	}
	return res.GapAround(fault), nil
}

// Result is the outages measured for one variant and scenario.
type Result struct {
	Variant  Variant
	Scenario Scenario
	Outages  []time.Duration
	Errors   []error
}

// Bench runs every scenario n times for every variant, logs each run to log
// (if not nil), and returns the results.
func Bench(n int, variants []Variant, scenarios []Scenario, log io.Writer) []Result {
	var results []Result
	for _, v := range variants {
		for _, s := range scenarios {
			r := Result{Variant: v, Scenario: s}
			for i := range n {
				d, err := MeasureOnce(v, s)
				if err != nil {
					r.Errors = append(r.Errors, err)
				} else {
					r.Outages = append(r.Outages, d)
				}
				if log != nil {
					fmt.Fprintf(log, "keepalived %s, %s, run %d/%d: outage %s err %v\n",
						v.Name, s.Name, i+1, n, testbed.FormatDuration(d), err)
				}
			}
			results = append(results, r)
		}
	}
	return results
}

// AddTo appends results to a table made with testbed.StatsHeader("system",
// "scenario"), so other systems' figures can be printed alongside.
func AddTo(t *testbed.Table, results []Result) {
	for _, r := range results {
		t.AddStats(testbed.Summarize(r.Outages), "keepalived "+r.Variant.Name, r.Scenario.Name)
	}
}
