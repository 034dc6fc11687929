package heartbeat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testbed: two network namespaces joined by two veth pairs, the interlink
// (10.1.1.0/24) and the data LAN (192.168.10.0/24), as in the seed topology.
type testbed struct {
	nsA, nsB   string
	il, lan    string // interface names (the same in both namespaces)
	ilA, ilB   netip.Addr
	lanA, lanB netip.Addr
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func suffix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newTestbed(t *testing.T) *testbed {
	t.Helper()
	requireRoot(t)
	s := suffix()
	tb := &testbed{
		nsA: "th" + s + "a", nsB: "th" + s + "b", il: "thi" + s, lan: "thl" + s,
		ilA: netip.MustParseAddr("10.1.1.1"), ilB: netip.MustParseAddr("10.1.1.2"),
		lanA: netip.MustParseAddr("192.168.10.81"), lanB: netip.MustParseAddr("192.168.10.82"),
	}
	for _, ns := range []string{tb.nsA, tb.nsB} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// Both ends are created directly inside the namespaces: no name ever
	// appears in the host namespace.
	for _, dev := range []string{tb.il, tb.lan} {
		run(t, "ip", "-n", tb.nsA, "link", "add", dev, "type", "veth", "peer", "name", dev, "netns", tb.nsB)
	}
	for _, a := range []struct {
		ns, dev string
		addr    netip.Addr
	}{{tb.nsA, tb.il, tb.ilA}, {tb.nsB, tb.il, tb.ilB}, {tb.nsA, tb.lan, tb.lanA}, {tb.nsB, tb.lan, tb.lanB}} {
		run(t, "ip", "-n", a.ns, "addr", "add", a.addr.String()+"/24", "dev", a.dev)
		run(t, "ip", "-n", a.ns, "link", "set", a.dev, "up")
	}
	return tb
}

// inNetns runs fn on a thread switched into the named namespace. Sockets
// created in fn stay in that namespace afterwards.
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns %s: %v", ns, err)
	}
	fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it exits with the goroutine instead of
		// running other goroutines in the wrong namespace.
		t.Fatalf("setns back: %v", err)
	}
	runtime.UnlockOSThread()
}

// config returns node A's (side 0) or node B's (side 1) config.
func (tb *testbed) config(side int, interval time.Duration) Config {
	il := []netip.Addr{tb.ilA, tb.ilB}
	lan := []netip.Addr{tb.lanA, tb.lanB}
	return Config{
		Cluster: "HAcluster", Node: []string{"haproxy1", "haproxy2"}[side],
		Key: []byte("test secret: correct horse battery staple"), Interval: interval,
		Paths: []Path{
			{Name: "interlink", Device: tb.il, Local: il[side], Peers: []netip.Addr{il[1-side]}},
			{Name: "lan", Device: tb.lan, Local: lan[side], Peers: []netip.Addr{lan[1-side]}},
		},
	}
}

func (tb *testbed) ns(side int) string { return []string{tb.nsA, tb.nsB}[side] }

// newChannel creates a channel for one side inside its namespace.
func (tb *testbed) newChannel(t *testing.T, cfg Config, side int) *Channel {
	t.Helper()
	var ch *Channel
	var err error
	inNetns(t, tb.ns(side), func() { ch, err = New(cfg) })
	if err != nil {
		t.Fatalf("New in %s: %v", tb.ns(side), err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}
