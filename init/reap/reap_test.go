package reap

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// With PR_SET_CHILD_SUBREAPER this test process adopts orphans like PID 1,
// so Orphans can be tested without a PID namespace.
func subreaper(t *testing.T) {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
}

func TestOrphansKeepOwnedExitStatus(t *testing.T) {
	subreaper(t)
	owned := exec.Command("sh", "-c", "sleep 0.3; exit 7")
	if err := Start(owned); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var waitErr error
	wg.Add(1)
	go func() { defer wg.Done(); waitErr = Wait(owned) }()

	const orphans = 100
	for range orphans {
		if err := Run(exec.Command("sh", "-c", "sleep 0.01 &")); err != nil {
			t.Fatal(err)
		}
	}
	reaped := 0
	deadline := time.Now().Add(5 * time.Second)
	for reaped < orphans && time.Now().Before(deadline) {
		n, err := Orphans()
		if err != nil {
			t.Fatal(err)
		}
		reaped += n
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	if reaped != orphans {
		t.Errorf("reaped %d orphans, want %d", reaped, orphans)
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) || ee.ExitCode() != 7 {
		t.Errorf("owned child: %v, want exit status 7", waitErr)
	}
}

// A child exiting while not yet waited for stays owned: Orphans leaves its
// zombie to Wait.
func TestOrphansSkipOwnedZombie(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 3")
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if p, ok := ReadProc(cmd.Process.Pid); ok && p.State == 'Z' {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := Orphans(); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := Wait(cmd); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Wait = %v, want exit status 3", err)
	}
}

// ReadProc parses past a command name with spaces and parentheses.
func TestProcStateOddName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	odd := filepath.Join(t.TempDir(), "a) b (c")
	if err := os.Symlink(sleep, odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	p, ok := ReadProc(cmd.Process.Pid)
	if !ok || p.PPID != os.Getpid() || p.State == 'Z' {
		t.Errorf("ReadProc = %+v %v, want parent %d, running", p, ok, os.Getpid())
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/comm")
	t.Logf("comm %q", b)
	if _, ok := ReadProc(1 << 30); ok {
		t.Error("ReadProc of a missing PID succeeded")
	}
	// The state after the last parenthesis, the name in full (the
	// assertion pid1's zombie check had).
	if p, ok := parseStat(12, "12 (a b) Z 1 2 3 4 5 6"); !ok || p.State != 'Z' || p.Comm != "a b" {
		t.Errorf("parseStat(a b) = %+v %v", p, ok)
	}
	if p, ok := parseStat(12, "12 (a) Z) S 1 2 3 4 5 6"); !ok || p.State != 'S' || p.Comm != "a) Z" {
		t.Errorf("parseStat(a) Z) = %+v %v", p, ok)
	}
}
