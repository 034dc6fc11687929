package pid1

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/init/control"
	"tandem/test/testbed"
)

// notifyListener is a stand-in for systemd's NOTIFY_SOCKET: it collects
// the sd_notify datagrams `tandem run` sends.
func notifyListener(t *testing.T, path string) <-chan string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			select {
			case ch <- string(buf[:n]):
			default:
			}
		}
	}()
	return ch
}

func waitNotify(t *testing.T, ch <-chan string, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-ch:
			if strings.Contains(m, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q from sd_notify within %v", want, timeout)
		}
	}
}

// TestPID1GracefulHandover: lb1 runs tandem as PID 1 and holds the VIP;
// lb2 runs `tandem run` under a fake systemd (NOTIFY_SOCKET, WATCHDOG_USEC)
// and must send READY=1 and WATCHDOG=1. SIGTERM to lb1's PID 1 hands the
// VIP to lb2 within 1 s, and PID 1 exits with status 0.
func TestPID1GracefulHandover(t *testing.T) {
	needRoot(t)
	bed, err := testbed.New(t, testbed.Options{Prefix: "tp"})
	if err != nil {
		t.Fatal(err)
	}
	dir1, dir2 := workDir(t), workDir(t)
	seed1 := writeSeed(t, dir1, "haproxy1.toml")
	seed2 := writeSeed(t, dir2, "haproxy2.toml")

	in := startPID1(t, bed.Netns(testbed.LB1), dir1, bed.Bin("tandem"), "tandem.seed="+seed1)
	pid := in.waitTandem(5 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for !bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		if time.Now().After(deadline) {
			t.Fatal("lb1 (PID 1) did not take the VIP alone")
		}
		time.Sleep(10 * time.Millisecond)
	}

	notifyPath := filepath.Join(dir2, "notify.sock")
	notes := notifyListener(t, notifyPath)
	sock2 := filepath.Join(dir2, "control.sock")
	lb2, err := bed.Start(testbed.LB2, "env", "NOTIFY_SOCKET="+notifyPath, "WATCHDOG_USEC=1000000",
		bed.Bin("tandem"), "run", "--seed", seed2, "--state", filepath.Join(dir2, "state"), "--control", sock2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lb2 (tandem run):\n%s", tail(lb2.Log(), 6000))
		}
	})
	waitNotify(t, notes, "READY=1", 30*time.Second)
	waitNotify(t, notes, "WATCHDOG=1", 3*time.Second)

	// lb2 must know its peer before the handover is graceful.
	client := control.NewClient(sock2)
	deadline = time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := client.Status(ctx)
		cancel()
		peerOnline := false
		for _, n := range s.Nodes {
			if !n.Self && n.Online {
				peerOnline = true
			}
		}
		if err == nil && s.Role == "standby" && peerOnline {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lb2 is not a standby hearing lb1: role %q, err %v", s.Role, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		t.Fatal("lb1 lost the VIP when lb2 joined (no failback expected)")
	}

	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for !bed.HasAddr(testbed.LB2, "eth0", testbed.VIP.Addr()) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("lb2 did not take the VIP within 5 s of SIGTERM to lb1's PID 1")
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("lb2 holds the VIP %v after SIGTERM to lb1's PID 1", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("handover took %v, want at most 1 s", took)
	}
	if code := in.exitStatus(60 * time.Second); code != 0 {
		t.Errorf("lb1's PID 1 exit status %d, want 0", code)
	}
	if bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		t.Error("lb1 still holds the VIP after its PID 1 exited")
	}
	_ = os.Remove(notifyPath)
}
