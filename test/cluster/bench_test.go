package cluster

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/test/keepalived"
	"tandem/test/testbed"
)

var (
	benchRuns     = flag.Int("cluster.runs", 10, "runs per system and scenario in BenchmarkFailover")
	benchProfiles = flag.String("cluster.profiles", "default,fast", "tandem profiles to measure")
	benchKeep     = flag.String("cluster.keepalived", "1,0.01", "keepalived advert_int variants to measure (1, 0.01)")
	benchZeroLoss = flag.Bool("cluster.zeroloss", true, "also measure E, H and K")
)

// BenchmarkFailover prints, from one run, the client-seen outage of tandem
// (both profiles) and keepalived (advert_int 1 and 0.01) side by side for
// node death (B) and an HAProxy crash (C), then the failed requests of an
// interlink cut (E) and a planned standby (H), and role changes under CPU
// starvation (K). It prints figures; the scenario tests assert behaviour.
func BenchmarkFailover(b *testing.B) {
	if err := testbed.Usable(); err != nil {
		b.Skip(err)
	}
	n := *benchRuns
	start := time.Now()
	log := os.Stderr
	var variants []keepalived.Variant
	for _, v := range strings.Split(*benchKeep, ",") {
		switch v {
		case keepalived.Default.AdvertInt:
			variants = append(variants, keepalived.Default)
		case keepalived.Fastest.AdvertInt:
			variants = append(variants, keepalived.Fastest)
		}
	}
	tandem := Bench(n, strings.Split(*benchProfiles, ","), keepalived.Scenarios, log)
	keep := keepalived.Bench(n, variants, keepalived.Scenarios, log)

	t := &testbed.Table{Header: testbed.StatsHeader("system", "scenario")}
	AddTo(t, tandem)
	keepalived.AddTo(t, keep)
	fmt.Printf("\nOutage seen by a client doing a new-connection GET through the VIP every 10 ms (100 ms timeout),\n")
	fmt.Printf("%d runs each, measured in one run on this machine:\n\n%s\n", n, t)
	median := map[string]time.Duration{}
	for _, r := range tandem {
		median["tandem "+r.Profile+" "+r.Scenario.Name] = testbed.Summarize(r.Outages).Median
		for _, err := range r.Errors {
			fmt.Printf("tandem %s %s error: %v\n", r.Profile, r.Scenario.Name, firstLine(err))
		}
	}
	for _, r := range keep {
		median["keepalived "+r.Variant.AdvertInt+" "+r.Scenario.Name] = testbed.Summarize(r.Outages).Median
		for _, err := range r.Errors {
			fmt.Printf("keepalived %s %s error: %v\n", r.Variant.Name, r.Scenario.Name, firstLine(err))
		}
	}
	compare := func(what, ours, theirs, target string) {
		o, ok1 := median[ours]
		th, ok2 := median[theirs]
		if ok1 && ok2 {
			fmt.Printf("%s: %s median %s vs %s median %s: %.2fx (target: %s)\n", what, ours,
				testbed.FormatDuration(o), theirs, testbed.FormatDuration(th), ratio(th, o), target)
		}
	}
	death, crash := keepalived.NodeDeath.Name, keepalived.HAProxyCrash.Name
	compare("node death, default profile", "tandem default "+death, "keepalived 1 "+death, "<= 500ms and >= 6x")
	compare("node death, fast profile", "tandem fast "+death, "keepalived 0.01 "+death, "<= 50ms and >= 1x")
	compare("haproxy crash, default profile", "tandem default "+crash, "keepalived 1 "+crash, "<= 100ms")
	compare("haproxy crash, fast profile", "tandem fast "+crash, "keepalived 0.01 "+crash, "<= 100ms")

	if *benchZeroLoss {
		fmt.Printf("\n%s\n", zeroLoss(b))
	}
	fmt.Printf("benchmark took %s\n", time.Since(start).Round(time.Second))
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// zeroLoss measures E (30 s interlink cut), H (planned standby) and K (60 s
// of both cores busy on the active node) once each and reports failed
// requests and role changes.
func zeroLoss(b *testing.B) string {
	t := &testbed.Table{Header: []string{"scenario", "requests", "failed", "role changes", "VIP moved"}}
	run := func(name string, fault func(p *Pair, active string) error, wait time.Duration) {
		bed, err := testbed.New(nil, testbed.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer bed.Close()
		p, err := Start(bed, Options{})
		if err != nil {
			b.Fatal(err)
		}
		active, err := p.WaitHolder("", 10*time.Second)
		if err != nil || bed.WaitHTTP(testbed.VIPURL, 10*time.Second) != nil {
			t.Add(name, "-", "-", "-", fmt.Sprintf("start failed: %v", err))
			return
		}
		time.Sleep(time.Second)
		before, _ := p.Status(active)
		probe, err := bed.StartProbe(testbed.VIPURL)
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if err := fault(p, active); err != nil {
			b.Fatal(err)
		}
		time.Sleep(wait)
		res, err := probe.Stop()
		if err != nil {
			b.Fatal(err)
		}
		after, _ := p.Status(active)
		t.Add(name, fmt.Sprint(res.Total), fmt.Sprint(res.Failed),
			fmt.Sprint(len(after.Failovers)-len(before.Failovers)), fmt.Sprint(p.Holder() != active))
	}
	run("E interlink cut 30s", func(p *Pair, _ string) error { return p.Bed.CutInterlink() }, 30*time.Second)
	run("H tandem standby", func(p *Pair, active string) error {
		_, err := p.Run(active, "standby")
		return err
	}, 3*time.Second)
	run("K both cores busy 60s", func(p *Pair, active string) error {
		busy, err := p.Bed.BusyCPU(active, 60*time.Second)
		if err == nil {
			go func() { time.Sleep(61 * time.Second); _ = busy.Kill(syscall.SIGKILL) }()
		}
		return err
	}, 60*time.Second)
	return t.String()
}
