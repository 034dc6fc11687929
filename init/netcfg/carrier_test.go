package netcfg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func TestWaitCarrier(t *testing.T) {
	if !inChild(t) {
		requireRoot(t)
		runChild(t, newNS(t, "w"))
		return
	}
	run(t, "ip", "link", "add", "tnv0", "type", "veth", "peer", "name", "tnv1")
	run(t, "ip", "link", "set", "tnv0", "up")
	l, err := netlink.LinkByName("tnv0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Peer down: no carrier until the timeout.
	if up, waited := WaitCarrier(ctx, l, 200*time.Millisecond); up || waited < 200*time.Millisecond || waited > 2*time.Second {
		t.Errorf("WaitCarrier(peer down) = %v, %v; want false after ~200ms", up, waited)
	}
	// Peer comes up while we wait: seen through the subscription.
	go func() {
		time.Sleep(300 * time.Millisecond)
		exec.Command("ip", "link", "set", "tnv1", "up").Run()
	}()
	up, waited := WaitCarrier(ctx, l, 5*time.Second)
	if !up || waited < 250*time.Millisecond || waited > 3*time.Second {
		t.Errorf("WaitCarrier(peer up at 300ms) = %v, %v; want true after ~300ms", up, waited)
	}
	t.Logf("carrier seen after %v", waited)
	// Already up: immediate.
	if up, waited := WaitCarrier(ctx, l, 5*time.Second); !up || waited > time.Second {
		t.Errorf("WaitCarrier(already up) = %v, %v; want true at once", up, waited)
	}
}

func TestApplyLBSysctlsInNamespace(t *testing.T) {
	if !inChild(t) {
		requireRoot(t)
		runChild(t, newNS(t, "s"))
		return
	}
	run(t, "ip", "link", "add", "tnv0", "type", "veth", "peer", "name", "tnv1")
	if err := ApplyLBSysctls([]string{"tnv0"}); err != nil {
		t.Fatalf("ApplyLBSysctls: %v", err)
	}
	for key, want := range map[string]string{
		"net/ipv4/ip_nonlocal_bind":              "1",
		"net/ipv6/ip_nonlocal_bind":              "1",
		"net/ipv4/conf/all/arp_ignore":           "1",
		"net/ipv4/conf/all/arp_announce":         "2",
		"net/ipv4/conf/tnv0/proxy_arp":           "0",
		"net/ipv4/conf/tnv0/promote_secondaries": "1",
		"net/ipv4/ip_forward":                    "0",
	} {
		b, err := os.ReadFile(filepath.Join("/proc/sys", key))
		if got := strings.TrimSpace(string(b)); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", key, got, err, want)
		}
	}
	err := ApplyLBSysctls([]string{"tnnosuchlink"})
	if err == nil || !strings.Contains(err.Error(), "net/ipv4/conf/tnnosuchlink/proxy_arp") {
		t.Errorf("ApplyLBSysctls(missing link) error = %v, want it to name the key", err)
	}
}

func TestSetSysctlPaths(t *testing.T) {
	dir := t.TempDir()
	old := procSys
	procSys = dir
	t.Cleanup(func() { procSys = old })
	if err := os.MkdirAll(filepath.Join(dir, "net/ipv4/conf/eth0.10"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SetSysctl("net.ipv4.ip_forward", "0"); err != nil {
		t.Fatal(err)
	}
	if err := SetSysctl("net/ipv4/conf/eth0.10/proxy_arp", "0"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"net/ipv4/ip_forward", "net/ipv4/conf/eth0.10/proxy_arp"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != "0\n" {
			t.Errorf("%s = %q, %v; want \"0\\n\"", f, b, err)
		}
	}
	for _, bad := range []string{"", "../etc/passwd", "/etc/passwd"} {
		if err := SetSysctl(bad, "1"); err == nil {
			t.Errorf("SetSysctl(%q) = nil, want error", bad)
		}
	}
	if err := SetSysctl("net.nosuch.key", "1"); err == nil || !strings.Contains(err.Error(), "net.nosuch.key") {
		t.Errorf("SetSysctl(missing) error = %v, want it to name the key", err)
	}
}
