package testbed

import (
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsList returns the namespaces on the machine whose name starts with prefix.
func netnsList(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names
}

// pingLoss pings from one lb to the other over the interlink and returns
// the loss in percent.
func pingLoss(t *testing.T, b *Bed, from, to string, count int) int {
	t.Helper()
	out, _ := b.Exec(from, "ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.005", "-W", "0.3",
		InterlinkAddrs[to].Addr().String())
	if strings.Contains(out, "Network is unreachable") {
		return 100 // the cut took the link, and so the route, away
	}
	m := regexp.MustCompile(`([\d.]+)% packet loss`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ping output has no loss figure: %q", out)
	}
	loss, _ := strconv.ParseFloat(m[1], 64)
	return int(loss + 0.5)
}

// waitPing waits until from reaches to over the interlink, which takes a
// moment after a link comes back (carrier, route, ARP).
func waitPing(t *testing.T, b *Bed, from, to string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := b.Exec(from, "ping", "-n", "-q", "-c", "1", "-W", "0.2", InterlinkAddrs[to].Addr().String()); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s cannot ping %s over the interlink", from, to)
}

func TestBed(t *testing.T) {
	b, err := New(t, Options{ConfigureLBAddrs: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := netnsList(t, b.id); len(got) != 6 {
		t.Fatalf("namespaces %v, want 6 with prefix %s", got, b.id)
	}

	t.Run("backends", func(t *testing.T) {
		for _, w := range []string{Web1, Web2} {
			got, err := b.Get("http://"+DataAddrs[w].Addr().String()+"/", 2*time.Second)
			if err != nil || got != w {
				t.Errorf("Get(%s) = %q, %v, want %q", w, got, err, w)
			}
		}
	})

	t.Run("addresses", func(t *testing.T) {
		for _, lb := range []string{LB1, LB2} {
			if !b.HasAddr(lb, "eth0", DataAddrs[lb].Addr()) || !b.HasAddr(lb, "eth1", InterlinkAddrs[lb].Addr()) {
				ps0, _ := b.Addrs(lb, "eth0")
				ps1, _ := b.Addrs(lb, "eth1")
				t.Errorf("%s addrs eth0 %v eth1 %v, want %v and %v", lb, ps0, ps1, DataAddrs[lb], InterlinkAddrs[lb])
			}
		}
		if _, err := b.Exec(Client, "ping", "-c", "1", "-W", "1", "192.168.10.81"); err != nil {
			t.Errorf("client cannot ping lb1: %v", err)
		}
		mac, err := b.MAC(LB1, "eth0")
		if err != nil {
			t.Fatal(err)
		}
		neigh, err := b.ClientNeigh(netip.MustParseAddr("192.168.10.81"))
		if err != nil || neigh != mac {
			t.Errorf("ClientNeigh(lb1) = %q, %v, want lb1's MAC %q", neigh, err, mac)
		}
	})

	t.Run("probe", func(t *testing.T) {
		p, err := b.StartProbe("http://192.168.10.91/")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		fault := time.Now()
		if err := b.LinkDown(Web1, "eth0"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := b.LinkUp(Web1, "eth0"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		r, err := p.Stop()
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r)
		gap := r.GapAround(fault)
		if gap < 250*time.Millisecond || gap > 800*time.Millisecond || r.Failed == 0 {
			t.Errorf("web1 down for 300ms: GapAround = %v, Failed = %d, want ~300ms and failures", gap, r.Failed)
		}
		if r.Total < 40 || r.Backends[Web1] < 20 {
			t.Errorf("probe made %d attempts (%v answered), want ~90 at 10ms", r.Total, r.Backends)
		}
	})

	t.Run("interlink", func(t *testing.T) {
		if loss := pingLoss(t, b, LB1, LB2, 5); loss != 0 {
			t.Fatalf("interlink loss before any fault = %d%%", loss)
		}
		if err := b.CutInterlink(); err != nil {
			t.Fatal(err)
		}
		if loss := pingLoss(t, b, LB1, LB2, 3); loss != 100 {
			t.Errorf("after CutInterlink loss = %d%%, want 100%%", loss)
		}
		if err := b.HealInterlink(); err != nil {
			t.Fatal(err)
		}
		if err := b.CutInterlinkNft(); err != nil {
			t.Fatal(err)
		}
		if loss := pingLoss(t, b, LB1, LB2, 3); loss != 100 {
			t.Errorf("after CutInterlinkNft loss = %d%%, want 100%%", loss)
		}
		if n, err := b.NftCounter(LB2, nftCut); err != nil || n < 1 {
			t.Errorf("lb2 cut counter = %d, %v, want >= 1", n, err)
		}
		if out, _ := b.ip(LB1, "link", "show", "eth1"); !strings.Contains(out, "state UP") {
			t.Errorf("nft cut took the link down: %s", out)
		}
		if _, err := b.Exec(Client, "ping", "-c", "1", "-W", "1", "192.168.10.82"); err != nil {
			t.Errorf("interlink cut also cut the data LAN: %v", err)
		}
		if err := b.HealInterlink(); err != nil {
			t.Fatal(err)
		}
		waitPing(t, b, LB1, LB2)
		if loss := pingLoss(t, b, LB1, LB2, 20); loss != 0 {
			t.Errorf("after HealInterlink loss = %d%%, want 0", loss)
		}
	})

	t.Run("loss", func(t *testing.T) {
		// Resolve ARP first: a lossy ARP exchange would add its own loss.
		waitPing(t, b, LB1, LB2)
		waitPing(t, b, LB2, LB1)
		if err := b.InterlinkLoss(20); err != nil {
			t.Fatal(err)
		}
		const count = 300
		loss := pingLoss(t, b, LB1, LB2, count)
		// Echo requests reaching lb2's ingress, minus those dropped there,
		// give the one-way loss; the round trip crosses two lossy hops.
		dropped, err := b.NftCounter(LB2, nftLoss)
		if err != nil {
			t.Fatal(err)
		}
		oneWay := 100 * dropped / count
		t.Logf("20%% interlink loss: one-way %d%% (%d/%d dropped at lb2), ping round trip %d%% (expect ~36%%)", oneWay, dropped, count, loss)
		if oneWay < 12 || oneWay > 28 {
			t.Errorf("one-way loss %d%%, want ~20%%", oneWay)
		}
		if loss < 20 || loss > 52 {
			t.Errorf("round-trip loss %d%%, want ~36%% (1-0.8²)", loss)
		}
		if err := b.InterlinkLoss(0); err != nil {
			t.Fatal(err)
		}
		if loss := pingLoss(t, b, LB1, LB2, 20); loss != 0 {
			t.Errorf("after InterlinkLoss(0) loss = %d%%, want 0", loss)
		}
	})

	t.Run("busycpu", func(t *testing.T) {
		const d = 1500 * time.Millisecond
		start := time.Now()
		p, err := b.BusyCPU(Web2, d)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(b.Pids(Web2)); n < 4 { // web server + timeout + stress-ng parent + 2 workers
			t.Errorf("web2 runs %d processes during BusyCPU, want >= 4", n)
		}
		_ = p.Wait()
		took := time.Since(start)
		cpu := p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
		t.Logf("BusyCPU(%v): ran %v, used %v CPU", d, took, cpu)
		if took < d || took > d+2*time.Second {
			t.Errorf("BusyCPU(%v) ran %v", d, took)
		}
		// Two spinning workers would use 2*d on an idle machine; CI and
		// development machines are shared, so only require clear spinning.
		if cpu < d/5 {
			t.Errorf("BusyCPU(%v) used only %v of CPU, want > %v", d, cpu, d/5)
		}
	})

	t.Run("killhard", func(t *testing.T) {
		p, err := b.Start(LB2, "sleep", "600")
		if err != nil {
			t.Fatal(err)
		}
		// A grandchild the bed never saw start must die too.
		if _, err := b.Start(LB2, "sh", "-c", "sleep 601 & wait"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if n := len(b.Pids(LB2)); n < 3 {
			t.Fatalf("lb2 has %d processes, want >= 3", n)
		}
		killed, err := b.KillHard(LB2)
		if err != nil {
			t.Fatal(err)
		}
		if len(killed) < 3 {
			t.Errorf("KillHard killed %v, want >= 3 pids", killed)
		}
		if !p.Exited() {
			t.Error("sleep still running after KillHard")
		}
		if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("sleep exit = %v, want killed", err)
		}
		if left := b.Pids(LB2); len(left) != 0 {
			t.Errorf("processes left in lb2: %v", left)
		}
		for _, dev := range []string{"eth0", "eth1"} {
			if out, _ := b.ip(LB2, "link", "show", dev); !strings.Contains(out, "state DOWN") {
				t.Errorf("lb2 %s not down after KillHard: %s", dev, out)
			}
		}
		if _, err := b.Exec(Client, "ping", "-c", "1", "-W", "0.5", "192.168.10.82"); err == nil {
			t.Error("client can still ping lb2 after KillHard")
		}
		if err := b.Revive(LB2); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Exec(Client, "ping", "-c", "1", "-W", "2", "192.168.10.82"); err != nil {
			t.Errorf("client cannot ping lb2 after Revive: %v", err)
		}
	})

	t.Run("killnamed", func(t *testing.T) {
		p1, _ := b.Start(LB1, "sleep", "600")
		p2, _ := b.Start(LB2, "sleep", "600")
		time.Sleep(50 * time.Millisecond)
		pids, err := b.KillNamed(LB1, "sleep", syscall.SIGKILL)
		if err != nil || len(pids) != 1 || pids[0] != p1.Pid() {
			t.Errorf("KillNamed(lb1, sleep) = %v, %v, want [%d]", pids, err, p1.Pid())
		}
		p1.waitTimeout(2 * time.Second)
		if !p1.Exited() || p2.Exited() {
			t.Errorf("after KillNamed(lb1): lb1 sleep exited %v (want true), lb2 sleep exited %v (want false)", p1.Exited(), p2.Exited())
		}
	})

	webPid := b.Pids(Web1)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left := netnsList(t, b.id); len(left) != 0 {
		t.Errorf("namespaces left after Close: %v", left)
	}
	for _, pid := range webPid {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("process %d of web1 alive after Close", pid)
		}
	}
}

func TestBedWithoutLBAddrs(t *testing.T) {
	b, err := New(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range []string{LB1, LB2} {
		for _, dev := range []string{"eth0", "eth1"} {
			ps, err := b.Addrs(lb, dev)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Addr().Is4() {
					t.Errorf("%s %s has %v, want no IPv4 address", lb, dev, p)
				}
			}
		}
	}
	if got, err := b.Get("http://192.168.10.92/", 2*time.Second); err != nil || got != Web2 {
		t.Errorf("Get(web2) = %q, %v", got, err)
	}
}
