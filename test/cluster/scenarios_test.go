package cluster

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/init/control"
	"tandem/test/testbed"
)

// setup builds a bed, starts the pair and waits until exactly one node
// holds the VIP and the client is served through it (scenario A's
// assertions, shared by every scenario).
func setup(t *testing.T, opts Options) (*Pair, string) {
	t.Helper()
	bed, err := testbed.New(t, testbed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(bed, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(p.Logs())
		}
	})
	active, err := p.WaitHolder("", 10*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Logs())
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 10*time.Second); err != nil {
		t.Fatalf("client not served through the VIP: %v\n%s", err, p.Logs())
	}
	// Both nodes see each other before any fault.
	for _, n := range []string{testbed.LB1, testbed.LB2} {
		if _, err := p.WaitStatus(n, 10*time.Second, bothOnline); err != nil {
			t.Fatalf("%v\n%s", err, p.Logs())
		}
	}
	if h := p.Holder(); h != active {
		t.Fatalf("holder changed from %s to %q during start-up", active, h)
	}
	return p, active
}

func bothOnline(s control.Status) bool {
	if len(s.Nodes) != 2 {
		return false
	}
	for _, n := range s.Nodes {
		if !n.Online {
			return false
		}
	}
	return true
}

func startProbe(t *testing.T, p *Pair) *testbed.Probe {
	t.Helper()
	probe, err := p.Bed.StartProbe(testbed.VIPURL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	return probe
}

func stopProbe(t *testing.T, probe *testbed.Probe) testbed.ProbeResult {
	t.Helper()
	res, err := probe.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestA: both start together; exactly one holds the VIP; the client is
// answered through it, by both backends.
func TestA_BothStart(t *testing.T) {
	p, active := setup(t, Options{})
	probe := startProbe(t, p)
	time.Sleep(time.Second)
	res := stopProbe(t, probe)
	if res.Failed != 0 || res.Total < 50 {
		t.Errorf("probe = %v, want no failures", res)
	}
	if len(res.Backends) != 2 {
		t.Errorf("backends answering = %v, want web1 and web2", res.Backends)
	}
	if h := p.Holder(); h != active {
		t.Errorf("holder = %q, want %s", h, active)
	}
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if s.Role != "active" || s.VIPs[0].Holder != s.Node || s.HAProxy.State != "ready" {
		t.Errorf("status of %s: role %s, VIP holder %q, haproxy %s; want active, itself, ready", active, s.Role, s.VIPs[0].Holder, s.HAProxy.State)
	}
	out, err := p.Run(Other(active), "status")
	if err != nil || !strings.Contains(out, "Online: [ ") || !strings.Contains(out, "STANDBY") {
		t.Errorf("tandem status on the standby: %v\n%s", err, out)
	}
}

// TestB: the active node dies; the other takes over and the client is
// served again. TestG continues: the old node returns, no failback.
func TestB_G_NodeDeathAndReturn(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	probe := startProbe(t, p)
	fault := time.Now()
	if _, err := p.Bed.KillHard(active); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(other, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	res := stopProbe(t, probe)
	if !res.Recovered(fault) {
		t.Fatalf("client not served after the node death: %v", res)
	}
	t.Logf("node death: outage %s", res.GapAround(fault))

	// G: the old active node returns; it stays standby.
	if err := p.Bed.Revive(active); err != nil {
		t.Fatal(err)
	}
	if err := p.StartNode(active); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{active, other} {
		if _, err := p.WaitStatus(n, 15*time.Second, bothOnline); err != nil {
			t.Fatalf("after the return: %v", err)
		}
	}
	probe = startProbe(t, p)
	time.Sleep(3 * time.Second)
	res = stopProbe(t, probe)
	if h := p.Holder(); h != other {
		t.Errorf("after the return the VIP is on %q, want it to stay on %s (no failback)", h, other)
	}
	if res.Failed != 0 {
		t.Errorf("requests failed after the old node returned: %v", res)
	}
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if s.Role != "standby" {
		t.Errorf("returned node role = %s, want standby", s.Role)
	}
}

// TestC: HAProxy crashes on the active node; the VIP moves, and the failed
// node shows a fail count and a ban.
func TestC_HAProxyCrash(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	probe := startProbe(t, p)
	fault := time.Now()
	if err := p.SignalHAProxy(active, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(other, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	res := stopProbe(t, probe)
	if !res.Recovered(fault) {
		t.Fatalf("client not served after the crash: %v", res)
	}
	t.Logf("haproxy crash: outage %s", res.GapAround(fault))
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	self := s.Nodes[0]
	if self.FailCount < 1 || !self.Banned {
		t.Errorf("failed node: fail count %d banned %v, want >= 1 and true", self.FailCount, self.Banned)
	}
	out, _ := p.Run(active, "status")
	if !strings.Contains(out, "BANNED") || !strings.Contains(out, "fail count 1") {
		t.Errorf("tandem status does not show the ban:\n%s", out)
	}
	// tandem online clears the ban and the count.
	if _, err := p.Run(active, "online"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitStatus(active, 5*time.Second, func(s control.Status) bool {
		return !s.Nodes[0].Banned && s.Nodes[0].FailCount == 0
	}); err != nil {
		t.Error(err)
	}
}

// TestD: HAProxy hangs (SIGSTOP) on the active node; the VIP moves.
func TestD_HAProxyHang(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	pids, err := p.HAProxyPIDs(active)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	})
	if err := p.SignalHAProxy(active, syscall.SIGSTOP, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(other, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Bed.WaitHTTP(testbed.VIPURL, 5*time.Second); err != nil {
		t.Errorf("client not served after the hang: %v", err)
	}
}

// watchHolder samples the holder, both nodes' addresses and the client's
// ARP entry for d and reports any moment the VIP was not on exactly the
// one node, or the client's ARP entry changed.
func watchHolder(t *testing.T, p *Pair, want string, d time.Duration) {
	t.Helper()
	mac, err := p.Bed.MAC(want, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if h := p.Holder(); h != want {
			t.Fatalf("VIP held by %q, want %s only", h, want)
		}
		if got, err := p.Bed.ClientNeigh(testbed.VIP.Addr()); err == nil && got != "" && !strings.EqualFold(got, mac) {
			t.Fatalf("client's ARP entry for the VIP is %s, want %s (%s)", got, mac, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestE: the interlink is cut for 30 s; the VIP stays on exactly one node
// and no client request fails.
func TestE_InterlinkCut(t *testing.T) {
	p, active := setup(t, Options{})
	probe := startProbe(t, p)
	if err := p.Bed.CutInterlink(); err != nil {
		t.Fatal(err)
	}
	watchHolder(t, p, active, 30*time.Second)
	res := stopProbe(t, probe)
	if res.Failed != 0 {
		t.Errorf("%d client requests failed during the interlink cut: %v", res.Failed, res)
	}
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range s.Paths {
		if path.Name == "interlink" && path.Up {
			t.Errorf("status shows the cut interlink as up")
		}
	}
}

// TestF: the active node loses its data link; the VIP moves to the node
// that still reaches the LAN.
func TestF_DataLinkLoss(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	if err := p.Bed.LinkDown(active, "eth0"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(other, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Bed.WaitHTTP(testbed.VIPURL, 5*time.Second); err != nil {
		t.Errorf("client not served after the data link loss: %v", err)
	}
}

// TestH: `tandem standby` on the active node moves the VIP with no failed
// client request.
func TestH_PlannedStandby(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	probe := startProbe(t, p)
	if out, err := p.Run(active, "standby"); err != nil {
		t.Fatalf("tandem standby: %v\n%s", err, out)
	}
	if _, err := p.WaitHolder(other, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	res := stopProbe(t, probe)
	if res.Failed != 0 {
		t.Errorf("%d client requests failed during the planned move: %v", res.Failed, res)
	}
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Standby || s.Role != "standby" {
		t.Errorf("old active: operator_standby %v role %s, want true and standby", s.Standby, s.Role)
	}
}

// TestI: 20 % packet loss on the interlink for 60 s causes no failover.
func TestI_LossyInterlink(t *testing.T) {
	p, active := setup(t, Options{})
	if err := p.Bed.InterlinkLoss(20); err != nil {
		t.Fatal(err)
	}
	before, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	watchHolder(t, p, active, 60*time.Second)
	after, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Failovers) != len(before.Failovers) {
		t.Errorf("role changes during the loss: %v", after.Failovers[:len(after.Failovers)-len(before.Failovers)])
	}
}

// TestJ: forged heartbeats sent from the LAN, and ones with the wrong key,
// change nothing.
func TestJ_ForgedHeartbeats(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	before, err := p.Status(other)
	if err != nil {
		t.Fatal(err)
	}
	// From the client namespace, on the LAN: garbage, and a well-formed
	// looking packet with a wrong MAC, to both nodes' heartbeat ports,
	// claiming to be the active node, many times.
	out, err := exec.Command("ip", "netns", "exec", p.Bed.Netns(testbed.Client),
		p.Bed.Bin("tandem-forge"), "--local", "192.168.10.50", "--to", "192.168.10.81,192.168.10.82",
		"--node", "haproxy1", "--for", "2s").CombinedOutput()
	if err != nil {
		t.Fatalf("forge: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	if h := p.Holder(); h != active {
		t.Fatalf("VIP moved to %q after forged heartbeats", h)
	}
	after, err := p.Status(other)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Failovers) != len(before.Failovers) {
		t.Errorf("role changed on %s after forged heartbeats: %v", other, after.Failovers)
	}
	var dropped uint64
	for _, path := range after.Paths {
		if path.Name == "lan" {
			dropped = path.Dropped
		}
	}
	if dropped == 0 {
		t.Errorf("no forged packet counted as dropped on %s's LAN path", other)
	}
}

// TestK: both cores busy on the active node for 60 s (default profile):
// no failover.
func TestK_CPUStarvation(t *testing.T) {
	p, active := setup(t, Options{})
	before, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	busy, err := p.Bed.BusyCPU(active, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Kill(syscall.SIGKILL) })
	watchHolder(t, p, active, 60*time.Second)
	after, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Failovers) != len(before.Failovers) {
		t.Errorf("role changes under CPU starvation: %v", after.Failovers)
	}
}

// TestFailback: with failback on and haproxy2 preferred, lb2 wins the
// simultaneous start, and after it dies and returns it takes the VIP back
// from lb1, without a failed request.
func TestFailbackToPreferred(t *testing.T) {
	p, active := setup(t, Options{Preferred: "haproxy2"})
	if active != testbed.LB2 {
		t.Fatalf("preferred haproxy2 (lb2) should win the start, but %s holds the VIP", active)
	}
	if _, err := p.Bed.KillHard(testbed.LB2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(testbed.LB1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	probe := startProbe(t, p)
	if err := p.Bed.Revive(testbed.LB2); err != nil {
		t.Fatal(err)
	}
	if err := p.StartNode(testbed.LB2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitHolder(testbed.LB2, 10*time.Second); err != nil {
		t.Fatalf("no failback to the preferred node: %v", err)
	}
	time.Sleep(3 * time.Second)
	res := stopProbe(t, probe)
	if res.Failed != 0 {
		t.Errorf("%d requests failed during the failback: %v", res.Failed, res)
	}
}
