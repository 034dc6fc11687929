package netcfg

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// dnsmasq runs a real dnsmasq DHCP server in namespace ns.
type dnsmasq struct {
	t    *testing.T
	ns   string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (d *dnsmasq) start() {
	d.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", d.ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
		"--interface=tns0", "--bind-interfaces", "--port=0", "--user=root", "--log-facility=-", "--log-dhcp",
		"--dhcp-range=192.0.2.50,192.0.2.150,2m",
		"--dhcp-leasefile="+filepath.Join(d.dir, "leases"),
		"--pid-file="+filepath.Join(d.dir, "pid"),
		"--dhcp-option=option:router,192.0.2.1",
		"--dhcp-option=option:dns-server,192.0.2.53,192.0.2.54",
		"--dhcp-option=option:domain-search,lb.example")
	log, err := os.OpenFile(filepath.Join(d.dir, "dnsmasq.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("start dnsmasq: %v", err)
	}
	log.Close()
	d.cmd, d.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(d.done)
}

func (d *dnsmasq) stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Kill()
	<-d.done
	d.cmd = nil
}

// logBuf collects the client's log lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logBuf) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines[n:])
}

func (l *logBuf) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func TestDHCPLifecycle(t *testing.T) {
	if !inChild(t) {
		requireRoot(t, "dnsmasq", "nft")
		srv, cli := newNS(t, "S"), newNS(t, "C")
		run(t, "ip", "link", "add", "tnc0", "netns", cli, "type", "veth", "peer", "name", "tns0", "netns", srv)
		run(t, "ip", "-n", srv, "addr", "add", "192.0.2.1/24", "dev", "tns0")
		run(t, "ip", "-n", srv, "link", "set", "tns0", "up")
		runChild(t, cli, "NETCFG_SERVER_NS="+srv)
		return
	}
	srvNS := os.Getenv("NETCFG_SERVER_NS")
	srv := &dnsmasq{t: t, ns: srvNS, dir: t.TempDir()}
	t.Cleanup(func() {
		srv.stop()
		if b, err := os.ReadFile(filepath.Join(srv.dir, "dnsmasq.log")); err == nil && t.Failed() {
			t.Logf("dnsmasq log:\n%s", b)
		}
	})
	run(t, "ip", "link", "set", "tnc0", "up")
	link, err := netlink.LinkByName("tnc0")
	if err != nil {
		t.Fatal(err)
	}
	srv.start()

	var logs logBuf
	events := make(chan Lease, 8)
	const scale = 0.04 // dnsmasq's 2-minute minimum lease becomes 4.8 s
	client := &DHCP{Link: link, Events: events, Options: DHCPOptions{
		TimeScale: scale, Hostname: "haproxy1", Timeout: 300 * time.Millisecond, Retries: 2,
		BackoffMin: 200 * time.Millisecond, BackoffMax: 500 * time.Millisecond, Logf: logs.logf,
	}}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	start := time.Now()
	go func() { runDone <- client.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runDone; err != context.Canceled {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
		for _, l := range logs.since(0) {
			t.Log(l)
		}
	})

	wait := func(want LeaseState, within time.Duration) Lease {
		t.Helper()
		select {
		case ev := <-events:
			if ev.State != want {
				t.Fatalf("event %v %s (%s), want %v", ev.State, ev.Addr, ev.Reason, want)
			}
			return ev
		case <-time.After(within):
			t.Fatalf("no %v event within %v", want, within)
		}
		return Lease{}
	}

	// 1. First lease: address, route and DNS.
	ev := wait(Bound, 15*time.Second)
	t.Logf("time to first lease: %v (%s from %s, lease %v, T1 %v, T2 %v)", time.Since(start), ev.Addr, ev.Server, ev.LeaseTime, ev.T1, ev.T2)
	wantDNS := []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("192.0.2.54")}
	if ev.Server != netip.MustParseAddr("192.0.2.1") || !slices.Equal(ev.DNS, wantDNS) ||
		!slices.Equal(ev.Routers, []netip.Addr{netip.MustParseAddr("192.0.2.1")}) ||
		!slices.Equal(ev.Search, []string{"lb.example"}) || ev.Addr.Bits() != 24 {
		t.Errorf("Bound lease = %+v", ev)
	}
	if ev.LeaseTime != time.Duration(120*scale*float64(time.Second)) || ev.T1 != ev.LeaseTime/2 {
		t.Errorf("lease %v T1 %v, want %v and half", ev.LeaseTime, ev.T1, time.Duration(120*scale*float64(time.Second)))
	}
	leased := ev.Addr
	checkLease(t, link, leased, true)

	// 2. Renewal at T1 (unicast to the server).
	ev = wait(Renewed, 2*ev.T1+2*time.Second)
	if ev.Addr != leased {
		t.Errorf("Renewed %s, want %s", ev.Addr, leased)
	}
	checkLease(t, link, leased, true)

	// 3. The server ignores unicast: renewal fails, rebinding (broadcast) works.
	run(t, "ip", "netns", "exec", srvNS, "nft", "add table ip tn; add chain ip tn in { type filter hook input priority 0; }; add rule ip tn in ip daddr 192.0.2.1 udp dport 67 drop")
	mark := logs.len()
	ev = wait(Rebound, ev.LeaseTime+2*time.Second)
	if !slices.ContainsFunc(logs.since(mark), func(s string) bool { return strings.Contains(s, ": renew ") }) {
		t.Errorf("Rebound without a failed renewal first: %q", logs.since(mark))
	}
	checkLease(t, link, leased, true)
	run(t, "ip", "netns", "exec", srvNS, "nft", "delete table ip tn")

	// 4. The server goes away: renew fails, rebind fails, the lease expires
	// and the address and route go.
	srv.stop()
	mark = logs.len()
	ev = wait(Expired, ev.LeaseTime+3*time.Second)
	for _, phase := range []string{": renew ", ": rebind "} {
		if !slices.ContainsFunc(logs.since(mark), func(s string) bool { return strings.Contains(s, phase) }) {
			t.Errorf("Expired without a failed%s: %q", phase, logs.since(mark))
		}
	}
	checkLease(t, link, leased, false)

	// 5. The server comes back: bound again, to the same address.
	srv.start()
	back := time.Now()
	ev = wait(Bound, 10*time.Second)
	t.Logf("bound again %v after the server returned: %s", time.Since(back), ev.Addr)
	if ev.Addr != leased {
		t.Errorf("Bound again to %s, want %s", ev.Addr, leased)
	}
	checkLease(t, link, leased, true)
	if err := WriteResolvConf(filepath.Join(t.TempDir(), "resolv.conf"), ev.DNS, ev.Search); err != nil {
		t.Error(err)
	}
}

// checkLease checks the leased address (tagged ProtoDHCP, finite lifetime)
// and the default route through the router are present, or both absent.
func checkLease(t *testing.T, link netlink.Link, p netip.Prefix, present bool) {
	t.Helper()
	as, err := listAddrs(link.Attrs().Index)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(as, func(a kernelAddr) bool { return a.Prefix == p })
	if present != (i >= 0) {
		t.Errorf("address %s present = %v, want %v (%v)", p, i >= 0, present, as)
	}
	if i >= 0 && (as[i].Proto != ProtoDHCP || as[i].ValidLft == forever || as[i].ValidLft == 0) {
		t.Errorf("address %s proto %#x valid %d, want proto %#x and a finite lifetime", p, as[i].Proto, as[i].ValidLft, ProtoDHCP)
	}
	routes, err := netlink.RouteList(link, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(routes, func(r netlink.Route) bool {
		return (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw.String() == "192.0.2.1"
	})
	if found != present {
		t.Errorf("default route via 192.0.2.1 present = %v, want %v (%v)", found, present, routes)
	}
}
