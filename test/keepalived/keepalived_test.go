package keepalived

import (
	"flag"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/test/testbed"
)

var benchRuns = flag.Int("keepalived.bench", 0, "run the keepalived baseline benchmark with this many runs per scenario and variant (0: skip)")

func skipUnlessUsable(t *testing.T) {
	t.Helper()
	if err := Usable(); err != nil {
		t.Skipf("keepalived baseline: %v", err)
	}
}

// TestFailover checks the baseline does what the benchmark assumes: lb1
// serves, an HAProxy crash moves the VIP to lb2 and the client is served
// again, with both backends in use.
func TestFailover(t *testing.T) {
	skipUnlessUsable(t)
	bed, err := testbed.New(t, testbed.Options{ConfigureLBAddrs: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Run(bed, Fastest)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Active(); got != testbed.LB1 {
		t.Fatalf("Active() = %q, want lb1", got)
	}
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	fault := time.Now()
	if pids, err := bed.KillNamed(testbed.LB1, "haproxy", syscall.SIGKILL); err != nil || len(pids) == 0 {
		t.Fatalf("KillNamed(lb1, haproxy) = %v, %v", pids, err)
	}
	if err := c.WaitActive(testbed.LB2, 5*time.Second); err != nil {
		t.Fatalf("%v\nlb1 keepalived log:\n%s", err, c.Keep[testbed.LB1].Log())
	}
	time.Sleep(500 * time.Millisecond)
	res, err := probe.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	gap := res.GapAround(fault)
	t.Logf("outage after HAProxy crash (advert_int 0.01): %v", gap)
	if !res.Recovered(fault) || gap > 3*time.Second {
		t.Errorf("client outage %v (recovered %v), want < 3s", gap, res.Recovered(fault))
	}
	if res.Backends[testbed.Web1] == 0 || res.Backends[testbed.Web2] == 0 {
		t.Errorf("backends used %v, want both", res.Backends)
	}
	if log := c.Keep[testbed.LB1].Log(); !strings.Contains(log, "FAULT") {
		t.Errorf("lb1 keepalived never entered FAULT; log:\n%s", log)
	}
}

// TestBench is the baseline benchmark. It runs only with
// -keepalived.bench=N, for example
//
//	go test ./test/keepalived -run TestBench -v -timeout 60m -args -keepalived.bench=10
func TestBench(t *testing.T) {
	if *benchRuns <= 0 {
		t.Skip("set -keepalived.bench=N to run the keepalived baseline benchmark")
	}
	skipUnlessUsable(t)
	start := time.Now()
	results := Bench(*benchRuns, Variants, Scenarios, os.Stdout)
	table := testbed.Table{Header: testbed.StatsHeader("system", "scenario")}
	AddTo(&table, results)
	t.Logf("keepalived baseline, %d runs each, took %v:\n%s", *benchRuns, time.Since(start).Round(time.Second), table.String())
	for _, r := range results {
		for _, err := range r.Errors {
			t.Errorf("%s %s: %v", r.Variant.Name, r.Scenario.Name, err)
		}
	}
}
