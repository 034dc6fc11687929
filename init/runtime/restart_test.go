package runtime

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tandem/init/control"
	"tandem/init/haproxy"
	"tandem/init/seed"
	"tandem/test/netnstest"
)

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// testSeed is one node whose data link (rtcd0) carries the VIP and whose
// interlink is rtci0; the peer never answers.
const testSeed = `
[node]
name = "lb1"
cluster = "rtc"
key = "a shared secret for the runtime tests"

[interlink]
interface = "rtci0"
address = "10.1.1.1/24"
peers = ["10.1.1.2"]

[[interface]]
name = "rtcd0"
addresses = ["192.168.10.81/24"]

[[vip]]
address = "192.168.10.80/24"
interface = "rtcd0"

[failover]
profile = "default"
lan_peers = ["192.168.10.82"]

[haproxy]
config = """
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend www
    bind 192.168.10.80:8080
    default_backend webs
backend webs
    server web1 192.168.10.91:80
"""
`

// setupLinks makes the seed's two links as veth pairs in this namespace.
func setupLinks(t *testing.T) *seed.Config {
	t.Helper()
	ipCmd(t, "link", "set", "lo", "up")
	for _, l := range []string{"rtcd0", "rtci0"} {
		ipCmd(t, "link", "add", l, "type", "veth", "peer", "name", l+"p")
		ipCmd(t, "link", "set", l, "up")
		ipCmd(t, "link", "set", l+"p", "up")
	}
	c, err := seed.Parse(context.Background(), filepath.Join(t.TempDir(), "seed.toml"), []byte(testSeed), seed.Options{})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return c
}

// syncBuffer collects the runtime's log for a failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitHAProxyReady waits until the node's HAProxy serves, and returns the
// PIDs of its master and workers.
func waitHAProxyReady(t *testing.T, n *node) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := n.haproxy.svc.Status()
		if st.State == haproxy.StateReady && st.PID > 0 && len(st.WorkerPIDs) > 0 {
			return append([]int{st.PID}, st.WorkerPIDs...)
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy not ready after 10s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveProcesses lists the processes (zombies aside) whose command line
// mentions s.
func liveProcesses(s string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
			continue
		}
		out = append(out, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	}
	return out
}

// assertCleanedUp checks that nothing of a stopped runtime remains: no
// HAProxy (nor any process) of its run directory, the memberlist and
// heartbeat ports free, no VIP on the data link or loopback.
func assertCleanedUp(t *testing.T, runDir string, pids []int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second) // orphaned workers are reaped by someone else
	for {
		left := liveProcesses(runDir)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("processes of the stopped runtime remain (HAProxy pids were %v):\n%s", pids, strings.Join(left, "\n"))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil && len(liveProcesses(runDir)) > 0 {
			t.Errorf("HAProxy process %d still runs", pid)
		}
	}
	// Plain binds (no SO_REUSEADDR) conflict with any socket left on the
	// port, memberlist's TCP and UDP 7946 and the heartbeats' UDP 7947.
	if ln, err := net.Listen("tcp", "10.1.1.1:7946"); err != nil {
		t.Errorf("memberlist TCP port still bound: %v", err)
	} else {
		ln.Close()
	}
	for _, addr := range []string{"10.1.1.1:7946", "0.0.0.0:7947"} {
		if c, err := net.ListenPacket("udp", addr); err != nil {
			t.Errorf("UDP %s still bound: %v", addr, err)
		} else {
			c.Close()
		}
	}
	for _, link := range []string{"rtcd0", "lo"} {
		out, err := exec.Command("ip", "-o", "addr", "show", "dev", link).CombinedOutput()
		if err != nil || strings.Contains(string(out), "192.168.10.80") {
			t.Errorf("VIP left on %s (%v):\n%s", link, err, out)
		}
	}
}

// TestRetryAfterFailedStart makes a late start-up step fail (the control
// socket cannot be created) after HAProxy is up, then cancels a start-up
// half-way, and checks that each time everything that started is stopped:
// a following Run in the same namespace binds memberlist's port again and
// runs. Before the undo stack, the retry found 7946 taken and ran without
// membership, next to the first attempt's HAProxy.
func TestRetryAfterFailedStart(t *testing.T) {
	// The runtime binds ports and watches links of the whole process
	// (memberlist dials from any OS thread): the test runs in a child
	// process in a private network namespace of its own.
	if !netnstest.InPrivateNetns(t, "/usr/sbin/haproxy") {
		return
	}
	c := setupLinks(t)
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	runDir := filepath.Join(stateDir, "run")
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	t.Cleanup(func() {
		startedHook = nil
		if t.Failed() {
			t.Logf("runtime log:\n%s", logs.String())
		}
		// A regression must not leave HAProxy running in a namespace
		// nobody can enter once this process is gone.
		for _, p := range liveProcesses(runDir) {
			if pid, err := strconv.Atoi(p[:strings.IndexByte(p, ':')]); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	opts := Options{Seed: c, SeedSource: "test", StateDir: stateDir, Console: logs}

	// 1. The control socket's directory is a file: the last step fails
	// with HAProxy, heartbeat, memberlist and the engine running.
	var pids []int
	var parts []string
	startedHook = func(n *node, part string) {
		parts = append(parts, part)
		if part == "haproxy" {
			pids = waitHAProxyReady(t, n)
		}
	}
	bad := opts
	bad.ControlSocket = filepath.Join(blocker, "control.sock")
	t0 := time.Now()
	err := Run(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "control") {
		t.Fatalf("Run with an impossible control socket = %v, want a control socket error", err)
	}
	t.Logf("failed start-up undone in %v (parts started: %s)", time.Since(t0).Round(time.Millisecond), strings.Join(parts, ", "))
	if !strings.Contains(strings.Join(parts, ","), "membership") {
		t.Fatalf("membership did not start in the first attempt (parts %v): the test proves nothing", parts)
	}
	assertCleanedUp(t, runDir, pids)

	// 2. ctx ends during the start-up, once HAProxy runs: Run returns nil
	// and leaves nothing either.
	ctx, cancel := context.WithCancel(context.Background())
	startedHook = func(n *node, part string) {
		if part == "haproxy" {
			pids = waitHAProxyReady(t, n)
			cancel()
		}
	}
	opts.ControlSocket = filepath.Join(dir, "control.sock")
	if err := Run(ctx, opts); err != nil {
		t.Fatalf("Run cancelled during start-up = %v, want nil", err)
	}
	if _, err := os.Stat(opts.ControlSocket); err == nil {
		t.Errorf("a cancelled start-up left the control socket %s", opts.ControlSocket)
	}
	assertCleanedUp(t, runDir, pids)

	// 3. A good configuration in the same namespace and state directory
	// starts fully.
	startedHook = nil
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	client := control.NewClient(opts.ControlSocket)
	deadline := time.Now().Add(15 * time.Second)
	var st control.Status
	for {
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		st, err = client.Status(sctx)
		scancel()
		if err == nil && st.HAProxy.State == haproxy.StateReady {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the retry ended: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retry is not ready after 15s: status %+v, %v", st, err)
		}
	}
	if len(st.Members) == 0 || st.Members[0].Name != "lb1" || st.Members[0].State != "alive" {
		t.Errorf("the retry runs without membership: members %+v, warnings %v", st.Members, st.Warnings)
	}
	for _, w := range st.Warnings {
		if strings.Contains(w, "membership") {
			t.Errorf("warning on the retry: %s", w)
		}
	}
	if ln, err := net.Listen("tcp", "10.1.1.1:7946"); err == nil {
		ln.Close()
		t.Errorf("the retry's memberlist does not hold TCP 10.1.1.1:7946")
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("probing 10.1.1.1:7946: %v, want EADDRINUSE", err)
	}
	pids = append([]int{st.HAProxy.PID}, st.HAProxy.WorkerPIDs...)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return 20s after cancel")
	}
	assertCleanedUp(t, runDir, pids)
	if _, err := os.Stat(opts.ControlSocket); err == nil {
		t.Errorf("the control socket %s remains after shutdown", opts.ControlSocket)
	}
}
