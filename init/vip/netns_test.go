package vip

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// lan is a bridge in its own namespace with three node namespaces
// attached by veth: a and b (the two load balancers) and o (an observer,
// standing in for a client or router on the LAN).
type lan struct {
	t    *testing.T
	sw   string
	ns   map[string]string // node → netns
	link map[string]string // node → its LAN interface (inside its netns)
	mac  map[string]string
	ip   map[string]string
}

const (
	vip4 = "192.168.77.80/24"
	vip6 = "fd77::80/64"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newLAN(t *testing.T) *lan {
	t.Helper()
	needRoot(t)
	id := fmt.Sprintf("tv%05x", rand.IntN(1<<20))
	l := &lan{t: t, sw: id + "s", ns: map[string]string{}, link: map[string]string{}, mac: map[string]string{}, ip: map[string]string{}}
	t.Cleanup(func() {
		for _, ns := range append([]string{l.sw}, l.ns["a"], l.ns["b"], l.ns["o"]) {
			if ns != "" {
				exec.Command("ip", "netns", "del", ns).Run()
			}
		}
	})
	run(t, "ip", "netns", "add", l.sw)
	br := id + "br"
	run(t, "ip", "-n", l.sw, "link", "add", br, "type", "bridge")
	run(t, "ip", "-n", l.sw, "link", "set", br, "up")
	for i, n := range []string{"a", "b", "o"} {
		ns := id + n
		l.ns[n] = ns
		run(t, "ip", "netns", "add", ns)
		l.link[n] = id + n + "0"
		swPort := id + n + "1"
		run(t, "ip", "-n", l.sw, "link", "add", swPort, "type", "veth", "peer", "name", l.link[n], "netns", ns)
		run(t, "ip", "-n", l.sw, "link", "set", swPort, "master", br, "up")
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", ns, "link", "set", l.link[n], "up")
		l.ip[n] = fmt.Sprintf("192.168.77.%d", i+1)
		run(t, "ip", "-n", ns, "addr", "add", l.ip[n]+"/24", "dev", l.link[n])
		run(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("fd77::%d/64", i+1), "dev", l.link[n], "nodad")
		var info []struct{ Address string }
		if err := json.Unmarshal([]byte(run(t, "ip", "-n", ns, "-j", "link", "show", "dev", l.link[n])), &info); err != nil || len(info) != 1 {
			t.Fatalf("link info for %s: %v", l.link[n], err)
		}
		l.mac[n] = info[0].Address
	}
	return l
}

// neighbour returns the observer's neighbour entry MAC for ip ("" if none).
func (l *lan) neighbour(node, ip string) string {
	var entries []struct {
		Lladdr string
	}
	out := run(l.t, "ip", "-n", l.ns[node], "-j", "neigh", "show", "to", ip, "dev", l.link[node])
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		l.t.Fatalf("parse neighbours %q: %v", out, err)
	}
	if len(entries) == 0 {
		return ""
	}
	return entries[0].Lladdr
}

// waitNeighbour polls the neighbour table (test-side polling only) until
// ip maps to mac, and returns how long that took.
func (l *lan) waitNeighbour(node, ip, mac string, timeout time.Duration) time.Duration {
	l.t.Helper()
	start := time.Now()
	for {
		got := l.neighbour(node, ip)
		if got == mac {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			l.t.Fatalf("%s: neighbour %s is %q, want %s", node, ip, got, mac)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (l *lan) ping(node, ip string) {
	l.t.Helper()
	run(l.t, "ip", "netns", "exec", l.ns[node], "ping", "-c", "1", "-W", "2", ip)
}
