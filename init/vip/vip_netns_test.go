package vip

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func micros(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Microsecond
}

// The classic takeover: the observer resolved the VIP to B; A acquires
// and its gratuitous ARP moves the observer's entry to A.
func TestAcquireTakeoverIPv4(t *testing.T) {
	l := newLAN(t)
	a, b := startAgent(t, l.ns["a"]), startAgent(t, l.ns["b"])
	a.do("hold 0 default %s %s", l.link["a"], vip4)
	b.do("hold 0 default %s %s", l.link["b"], vip4)
	ip := strings.Split(vip4, "/")[0]

	b.do("acquire")
	l.ping("o", ip)
	if got := l.neighbour("o", ip); got != l.mac["b"] {
		t.Fatalf("observer resolved %s to %q, want B %s", ip, got, l.mac["b"])
	}
	b.do("release")
	if has := b.do("has %s %s", l.link["b"], vip4); has[0] != "false" {
		t.Fatal("B still has the VIP after Release")
	}

	// Control: holding without announcing leaves the observer on B, so
	// what moves it below is the announcement, not some re-resolution.
	a.do("hold -1 none %s %s", l.link["a"], vip4)
	a.do("acquire")
	time.Sleep(200 * time.Millisecond)
	if got := l.neighbour("o", ip); got != l.mac["b"] {
		t.Fatalf("observer moved to %q without any announcement", got)
	}
	a.do("release")

	a.do("hold 0 default %s %s", l.link["a"], vip4)
	took := micros(a.do("acquire")[0])
	if has := a.do("has %s %s", l.link["a"], vip4); has[0] != "true" {
		t.Fatal("A lacks the VIP after Acquire")
	}
	if held := a.do("held"); held[0] != "true" {
		t.Fatal("Held() false after Acquire")
	}
	conv := l.waitNeighbour("o", ip, l.mac["a"], 3*time.Second)
	t.Logf("Acquire took %v; observer's entry moved to A within %v (incl. polling)", took, conv)
	l.ping("o", ip)

	// Acquire again while held: idempotent.
	a.do("acquire")
	a.do("release")
	a.do("release") // idempotent too
	if has := a.do("has %s %s", l.link["a"], vip4); has[0] != "false" {
		t.Fatal("A still has the VIP after Release")
	}
	if held := a.do("held"); held[0] != "false" {
		t.Fatal("Held() true after Release")
	}
}

func TestWatcherReaddsAndReportsLink(t *testing.T) {
	l := newLAN(t)
	a := startAgent(t, l.ns["a"])
	a.do("hold 0 default %s %s", l.link["a"], vip4)
	if f, _ := a.event("link "+l.link["a"], time.Second); f[2] != "true" {
		t.Fatalf("initial link state %v, want up", f)
	}
	a.do("acquire")

	start := time.Now()
	run(t, "ip", "-n", l.ns["a"], "addr", "del", vip4, "dev", l.link["a"])
	delDone := time.Now()
	_, lostAt := a.event("lost "+vip4, time.Second)
	_, readdAt := a.event("readded "+vip4, time.Second)
	lat := lostAt.Sub(start)
	t.Logf("watcher reported the deletion %v after `ip addr del` started (%v after it returned); re-added %v later",
		lat, lostAt.Sub(delDone), readdAt.Sub(lostAt))
	if lat > 100*time.Millisecond {
		t.Errorf("loss reported after %v, want within 100ms", lat)
	}
	if has := a.do("has %s %s", l.link["a"], vip4); has[0] != "true" {
		t.Fatal("VIP not re-added")
	}

	// Administrative down and up.
	start = time.Now()
	run(t, "ip", "-n", l.ns["a"], "link", "set", l.link["a"], "down")
	f, at := a.event("link "+l.link["a"], time.Second)
	if f[2] != "false" {
		t.Fatalf("after link down: %v", f)
	}
	t.Logf("link down reported after %v", at.Sub(start))
	run(t, "ip", "-n", l.ns["a"], "link", "set", l.link["a"], "up")
	if f, _ := a.event("link "+l.link["a"], time.Second); f[2] != "true" {
		t.Fatalf("after link up: %v", f)
	}
	// Carrier loss: the switch side of the cable goes down.
	swPort := strings.TrimSuffix(l.link["a"], "0") + "1"
	run(t, "ip", "-n", l.sw, "link", "set", swPort, "down")
	if f, _ := a.event("link "+l.link["a"], time.Second); f[2] != "false" {
		t.Fatalf("after carrier loss: %v", f)
	}
	run(t, "ip", "-n", l.sw, "link", "set", swPort, "up")
	if f, _ := a.event("link "+l.link["a"], time.Second); f[2] != "true" {
		t.Fatalf("after carrier return: %v", f)
	}
	// Linux keeps IPv4 addresses across link down; our own Release must
	// not count as a loss.
	a.noEvent("lost", 50*time.Millisecond)
	if has := a.do("has %s %s", l.link["a"], vip4); has[0] != "true" {
		t.Fatal("VIP gone after link flap")
	}
	a.do("release")
	a.noEvent("lost", 200*time.Millisecond)
}

func TestProbeIPv4(t *testing.T) {
	l := newLAN(t)
	a, b := startAgent(t, l.ns["a"]), startAgent(t, l.ns["b"])
	a.do("hold 0 default %s %s", l.link["a"], vip4)
	a.do("acquire")

	for range 3 {
		r := b.do("probe 300 %s %s", l.link["b"], vip4)
		if r[0] != "true" || r[1] != l.mac["a"] {
			t.Fatalf("probe while A holds: %v, want true by %s", r, l.mac["a"])
		}
		t.Logf("probe answered by A in %v", micros(r[2]))
		if micros(r[2]) > 50*time.Millisecond {
			t.Errorf("probe took %v", micros(r[2]))
		}
	}
	// The holder probing its own address must not hear itself.
	if r := a.do("probe 100 %s %s", l.link["a"], vip4); r[0] != "false" {
		t.Fatalf("A's probe of its own VIP: %v, want false", r)
	}
	a.do("release")
	r := b.do("probe 300 %s %s", l.link["b"], vip4)
	if r[0] != "false" {
		t.Fatalf("probe after release: %v, want false", r)
	}
	t.Logf("unanswered probe returned after %v (wait 300ms)", micros(r[2]))
}

func TestClaimWatcherIPv4(t *testing.T) {
	l := newLAN(t)
	a, b := startAgent(t, l.ns["a"]), startAgent(t, l.ns["b"])
	a.do("hold 0 default %s %s", l.link["a"], vip4)
	b.do("hold 0 default %s %s", l.link["b"], vip4)
	a.do("claims %s %s", l.link["a"], vip4)

	// A's own announcements are not claims.
	a.do("acquire")
	a.noEvent("claim", 150*time.Millisecond)

	start := time.Now()
	b.do("acquire")
	f, at := a.event("claim", time.Second)
	if f[1] != strings.Split(vip4, "/")[0] || f[2] != l.mac["b"] {
		t.Fatalf("claim %v, want VIP by %s", f, l.mac["b"])
	}
	t.Logf("A saw B's gratuitous ARP %v after B's Acquire started", at.Sub(start))
	a.do("stopclaims")
}

func TestIPv6(t *testing.T) {
	l := newLAN(t)
	a, b := startAgent(t, l.ns["a"]), startAgent(t, l.ns["b"])
	a.do("hold 0 default %s %s", l.link["a"], vip6)
	b.do("hold 0 default %s %s", l.link["b"], vip6)
	ip := strings.Split(vip6, "/")[0]

	b.do("acquire")
	l.ping("o", ip)
	if got := l.neighbour("o", ip); got != l.mac["b"] {
		t.Fatalf("observer resolved %s to %q, want B %s", ip, got, l.mac["b"])
	}
	b.do("release")
	b.do("claims %s %s", l.link["b"], vip6)

	a.do("acquire")
	if has := a.do("has %s %s", l.link["a"], vip6); has[0] != "true" {
		t.Fatal("A lacks the IPv6 VIP after Acquire")
	}
	conv := l.waitNeighbour("o", ip, l.mac["a"], 3*time.Second)
	t.Logf("observer's IPv6 neighbour entry moved to A within %v", conv)
	l.ping("o", ip) // usable at once: no DAD delay
	if f, _ := b.event("claim", time.Second); f[1] != ip || f[2] != l.mac["a"] {
		t.Fatalf("B's claim watcher: %v, want %s by %s", f, ip, l.mac["a"])
	}
	b.do("stopclaims")

	r := b.do("probe 300 %s %s", l.link["b"], vip6)
	if r[0] != "true" || r[1] != l.mac["a"] {
		t.Fatalf("IPv6 probe while A holds: %v", r)
	}
	t.Logf("IPv6 probe answered by A in %v", micros(r[2]))
	a.do("release")
	if r := b.do("probe 300 %s %s", l.link["b"], vip6); r[0] != "false" {
		t.Fatalf("IPv6 probe after release: %v", r)
	}
}

// A client whose entry went back to the old MAC after the burst (here:
// forced with `ip neigh replace`) converges with the periodic refresh.
func TestPeriodicRefresh(t *testing.T) {
	l := newLAN(t)
	a := startAgent(t, l.ns["a"])
	a.do("hold 100 0 %s %s", l.link["a"], vip4)
	ip := strings.Split(vip4, "/")[0]
	a.do("acquire")
	l.ping("o", ip)
	run(t, "ip", "-n", l.ns["o"], "neigh", "replace", ip, "lladdr", l.mac["b"], "dev", l.link["o"], "nud", "stale")
	conv := l.waitNeighbour("o", ip, l.mac["a"], time.Second)
	t.Logf("refresh (100ms) corrected the observer after %v", conv)
	a.do("release")
	// After Release nothing announces: the forced entry stays.
	run(t, "ip", "-n", l.ns["o"], "neigh", "replace", ip, "lladdr", l.mac["b"], "dev", l.link["o"], "nud", "stale")
	time.Sleep(250 * time.Millisecond)
	if got := l.neighbour("o", ip); got != l.mac["b"] {
		t.Fatalf("observer moved to %q after Release", got)
	}
}
