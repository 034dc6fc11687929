package supervise

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// next waits for the next event or fails the test.
func next(t *testing.T, s *Service, within time.Duration) Event {
	t.Helper()
	select {
	case ev := <-s.Events():
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return Event{}
}

func want(t *testing.T, s *Service, kind EventKind) Event {
	t.Helper()
	ev := next(t, s, 5*time.Second)
	if ev.Kind != kind {
		t.Fatalf("event = %v, want %v", ev, kind)
	}
	return ev
}

func newService(t *testing.T, spec Spec) *Service {
	t.Helper()
	s, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	return s
}

func TestBackoffNext(t *testing.T) {
	b := Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond, ResetAfter: time.Second}
	tests := []struct {
		prev, ran, want time.Duration
	}{
		{0, 0, 10 * time.Millisecond},
		{10 * time.Millisecond, 0, 20 * time.Millisecond},
		{20 * time.Millisecond, 0, 40 * time.Millisecond},
		{40 * time.Millisecond, 0, 50 * time.Millisecond},
		{50 * time.Millisecond, 0, 50 * time.Millisecond},
		{50 * time.Millisecond, 2 * time.Second, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := b.next(tt.prev, tt.ran); got != tt.want {
			t.Errorf("next(%v, %v) = %v, want %v", tt.prev, tt.ran, got, tt.want)
		}
	}
	if got := (Backoff{}).withDefaults(); got.Min != DefaultBackoffMin || got.Max != DefaultBackoffMax || got.ResetAfter != DefaultBackoffReset {
		t.Errorf("zero Backoff defaults = %+v", got)
	}
}

func TestNewRejectsBadSpec(t *testing.T) {
	if _, err := New(Spec{Cmd: func() *exec.Cmd { return nil }}); err == nil {
		t.Error("New without name succeeded")
	}
	if _, err := New(Spec{Name: "x"}); err == nil {
		t.Error("New without Cmd succeeded")
	}
}

func TestServiceRestartsAtOnceAfterKill(t *testing.T) {
	ring := NewRing(100)
	s := newService(t, Spec{
		Name:    "sleeper",
		Cmd:     func() *exec.Cmd { return exec.Command("sh", "-c", "echo hello; echo oops >&2; exec sleep 60") },
		Backoff: Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond},
		Log:     ring,
	})
	ev := want(t, s, Started)
	if ev.PID == 0 || s.PID() != ev.PID {
		t.Fatalf("Started PID = %d, PID() = %d", ev.PID, s.PID())
	}
	if err := s.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	ex := want(t, s, Exited)
	latency := time.Since(killed)
	t.Logf("kill -9 to Exited event: %v", latency)
	if latency > 200*time.Millisecond {
		t.Errorf("Exited reported after %v, want at once", latency)
	}
	if ex.PID != ev.PID || ex.Err == nil || !strings.Contains(ex.Err.Error(), "killed") {
		t.Errorf("Exited = %v, want pid %d with killed error", ex, ev.PID)
	}
	ev2 := want(t, s, Started)
	if ev2.PID == ev.PID {
		t.Errorf("restart reused pid %d", ev.PID)
	}
	if got := s.Restarts(); got != 1 {
		t.Errorf("Restarts() = %d, want 1", got)
	}
	// Output arrives through a pipe; give it a moment.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var lines []string
		for _, l := range ring.Lines(0) {
			if l.Source != "sleeper" {
				t.Errorf("log line source = %q, want sleeper", l.Source)
			}
			lines = append(lines, l.Text)
		}
		joined := strings.Join(lines, ",")
		if strings.Count(joined, "hello") >= 1 && strings.Contains(joined, "oops") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ring lines = %q, want stdout and stderr", lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServiceBackoffGrows(t *testing.T) {
	s := newService(t, Spec{
		Name:    "crasher",
		Cmd:     func() *exec.Cmd { return exec.Command("false") },
		Backoff: Backoff{Min: 20 * time.Millisecond, Max: 80 * time.Millisecond, ResetAfter: time.Minute},
	})
	var starts []time.Time
	for len(starts) < 5 {
		ev := next(t, s, 5*time.Second)
		if ev.Kind == Started {
			starts = append(starts, ev.At)
		}
	}
	// Gaps should be about 20, 40, 80, 80 ms.
	wantMin := []time.Duration{20, 40, 80, 80}
	for i := 1; i < len(starts); i++ {
		gap := starts[i].Sub(starts[i-1])
		if gap < wantMin[i-1]*time.Millisecond {
			t.Errorf("gap %d = %v, want >= %v ms", i, gap, wantMin[i-1])
		}
		if gap > wantMin[i-1]*time.Millisecond+300*time.Millisecond {
			t.Errorf("gap %d = %v, want about %v ms", i, gap, wantMin[i-1])
		}
	}
}

func TestServiceBeforeStartDelaysStart(t *testing.T) {
	var calls atomic.Int32
	s := newService(t, Spec{
		Name: "gated",
		Cmd:  func() *exec.Cmd { return exec.Command("sleep", "60") },
		BeforeStart: func() error {
			if calls.Add(1) < 3 {
				return errors.New("config broken")
			}
			return nil
		},
		Backoff: Backoff{Min: 10 * time.Millisecond},
	})
	for range 2 {
		ev := want(t, s, StartFailed)
		if ev.Err == nil || !strings.Contains(ev.Err.Error(), "config broken") {
			t.Errorf("StartFailed err = %v, want config broken", ev.Err)
		}
	}
	want(t, s, Started)
	if got := calls.Load(); got != 3 {
		t.Errorf("BeforeStart calls = %d, want 3", got)
	}
}

func TestServiceStartFailsForMissingBinary(t *testing.T) {
	s := newService(t, Spec{
		Name:    "missing",
		Cmd:     func() *exec.Cmd { return exec.Command("/nonexistent/tandem-binary") },
		Backoff: Backoff{Min: 10 * time.Millisecond},
	})
	ev := want(t, s, StartFailed)
	if ev.Err == nil {
		t.Error("StartFailed without error")
	}
}

func TestServiceStopGraceful(t *testing.T) {
	s := newService(t, Spec{
		Name:       "graceful",
		Cmd:        func() *exec.Cmd { return exec.Command("sleep", "60") },
		StopSignal: syscall.SIGINT,
	})
	ev := want(t, s, Started)
	t0 := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("graceful Stop took %v", d)
	}
	st := want(t, s, Stopped)
	if st.PID != ev.PID {
		t.Errorf("Stopped pid = %d, want %d", st.PID, ev.PID)
	}
	if s.PID() != 0 {
		t.Errorf("PID() after Stop = %d, want 0", s.PID())
	}
	if err := s.Signal(syscall.SIGTERM); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal after Stop = %v, want ErrNotRunning", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
}

func TestServiceStopEscalates(t *testing.T) {
	// Ignores the stop signal and SIGTERM: only SIGKILL ends it.
	s := newService(t, Spec{
		Name: "stubborn",
		Cmd: func() *exec.Cmd {
			return exec.Command("sh", "-c", `trap "" USR1 TERM; echo ready; while :; do sleep 0.05; done`)
		},
		StopSignal:  syscall.SIGUSR1,
		StopTimeout: 100 * time.Millisecond,
		Log:         NewRing(10),
		Group:       true,
	})
	want(t, s, Started)
	time.Sleep(100 * time.Millisecond) // let the shell install its traps
	t0 := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	d := time.Since(t0)
	if d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("escalating Stop took %v, want about 2 x StopTimeout", d)
	}
	ev := want(t, s, Stopped)
	if ev.Err == nil || !strings.Contains(ev.Err.Error(), "killed") {
		t.Errorf("Stopped err = %v, want killed", ev.Err)
	}
}

func TestServiceStopContextKills(t *testing.T) {
	s := newService(t, Spec{
		Name:        "ctx",
		Cmd:         func() *exec.Cmd { return exec.Command("sh", "-c", `trap "" TERM; while :; do sleep 0.05; done`) },
		StopTimeout: time.Minute,
	})
	want(t, s, Started)
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := s.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop() = %v, want deadline exceeded", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Stop with expired ctx took %v", d)
	}
}

func TestServiceStopDuringBackoff(t *testing.T) {
	s := newService(t, Spec{
		Name:    "waiting",
		Cmd:     func() *exec.Cmd { return exec.Command("false") },
		Backoff: Backoff{Min: time.Minute},
	})
	want(t, s, Started)
	want(t, s, Exited)
	t0 := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Stop during backoff took %v", d)
	}
	want(t, s, Stopped)
}

// A child that outlives the leader and keeps the output pipe open must not
// delay the exit report, and Group kills it.
func TestServiceGroupExitNotDelayedByChild(t *testing.T) {
	s := newService(t, Spec{
		Name:    "parent",
		Cmd:     func() *exec.Cmd { return exec.Command("sh", "-c", "sleep 60 & echo $! ; wait") },
		Backoff: Backoff{Min: time.Minute},
		Log:     NewRing(10),
		Group:   true,
	})
	ev := want(t, s, Started)
	time.Sleep(100 * time.Millisecond)
	var childPID int
	for _, l := range s.spec.Log.Lines(0) {
		childPID = atoi(l.Text)
	}
	if childPID == 0 {
		t.Fatal("child pid not logged")
	}
	syscall.Kill(ev.PID, syscall.SIGKILL)
	t0 := time.Now()
	want(t, s, Exited)
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("Exited after %v, want at once", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(childPID, 0) == nil && !isZombie(childPID) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the group survived", childPID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
