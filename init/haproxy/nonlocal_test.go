package haproxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const netnsChildEnv = "TANDEM_TX_NETNS_CHILD"

// The standby node runs HAProxy bound to a VIP it does not hold. With
// net.ipv4.ip_nonlocal_bind=1 that works; without it HAProxy cannot start.
// The test re-runs itself inside a fresh network namespace.
func TestNonlocalBindVIP(t *testing.T) {
	needHAProxy(t)
	if mode := os.Getenv(netnsChildEnv); mode != "" {
		nonlocalChild(t, mode == "on")
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip not installed")
	}
	for _, on := range []bool{true, false} {
		ns := fmt.Sprintf("tx%d%04d", os.Getpid()%100000, rand.IntN(10000))
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		val := map[bool]string{true: "1", false: "0"}[on]
		for _, args := range [][]string{
			{"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"},
			{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=" + val},
		} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v: %s", args, err, out)
			}
		}
		cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run", "^TestNonlocalBindVIP$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), netnsChildEnv+"="+map[bool]string{true: "on", false: "off"}[on])
		out, err := cmd.CombinedOutput()
		t.Logf("ip_nonlocal_bind=%s in %s:\n%s", val, ns, out)
		if err != nil {
			t.Errorf("child test with ip_nonlocal_bind=%s failed: %v", val, err)
		}
	}
}

// nonlocalChild runs inside the namespace: HAProxy binds 192.0.2.80:80,
// which no interface holds.
func nonlocalChild(t *testing.T, sysctlOn bool) {
	dir := t.TempDir()
	user := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, user, `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend vip
    bind 192.0.2.80:80
    default_backend be
backend be
    server s1 127.0.0.1:9
`)
	svc, err := New(Config{UserConfig: user, RunDir: filepath.Join(dir, "run"), StartTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		svc.Stop(ctx)
	})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-svc.Events():
		if sysctlOn && ev.Kind != Up {
			t.Fatalf("with ip_nonlocal_bind=1: event %v, want up", ev)
		}
		if !sysctlOn && ev.Kind != Down {
			t.Fatalf("with ip_nonlocal_bind=0: event %v, want down (cannot bind)", ev)
		}
		t.Logf("event: %v", ev)
	case <-time.After(5 * time.Second):
		t.Fatalf("no event (status %+v)", svc.Status())
	}
}
