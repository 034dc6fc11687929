package heartbeat

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// running is a channel under test with everything it delivered.
type running struct {
	ch      *Channel
	payload atomic.Value // []byte
	mu      sync.Mutex
	heard   []Heard
	stop    func()
}

func start(t *testing.T, ch *Channel, payload string) *running {
	t.Helper()
	r := &running{ch: ch}
	r.payload.Store([]byte(payload))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx, func() []byte { return r.payload.Load().([]byte) }) }()
	go func() {
		for h := range ch.Heard() {
			r.mu.Lock()
			r.heard = append(r.heard, h)
			r.mu.Unlock()
		}
	}()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// since returns what was heard on a path after t0.
func (r *running) since(path string, t0 time.Time) []Heard {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Heard
	for _, h := range r.heard {
		if h.Path == path && h.At.After(t0) {
			out = append(out, h)
		}
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(t0)
}

func TestDeliveryOnBothPathsWithRTTAndKick(t *testing.T) {
	tb := newTestbed(t)
	a := start(t, tb.newChannel(t, tb.config(0, 20*time.Millisecond), 0), "a-state-1")
	b := start(t, tb.newChannel(t, tb.config(1, 20*time.Millisecond), 1), "b-state")
	t0 := time.Now()
	time.Sleep(300 * time.Millisecond)

	for _, path := range []string{"interlink", "lan"} {
		for name, r := range map[string]*running{"a": a, "b": b} {
			hs := r.since(path, t0)
			if len(hs) < 8 {
				t.Fatalf("%s heard %d heartbeats on %s in 300ms, want >= 8", name, len(hs), path)
			}
			last := hs[len(hs)-1]
			if last.RTT <= 0 || last.RTT > 20*time.Millisecond {
				t.Errorf("%s on %s: RTT %s, want in (0, 20ms]", name, path, last.RTT)
			}
			st := r.ch.Stats().Paths[path]
			t.Logf("%s %s: heard %d, last RTT %s, stats sent=%d recv=%d dropped=%v", name, path, len(hs), last.RTT, st.Sent, st.Received, st.Dropped)
			if st.LastRTT <= 0 || st.Received == 0 || st.Sent == 0 || len(st.Dropped) != 0 {
				t.Errorf("%s %s stats: %+v", name, path, st)
			}
		}
	}
	if h := b.since("lan", t0); string(h[0].Payload) != "a-state-1" || h[0].From != "haproxy1" || h[0].Incarnation != a.ch.Incarnation() {
		t.Errorf("b heard %+v, want payload a-state-1 from haproxy1 incarnation %d", h[0], a.ch.Incarnation())
	}
	t.Logf("send priority %q, receive priority %q", a.ch.Stats().SendPriority, a.ch.Stats().RecvPriority)

	// Kick: a state change reaches the peer at once, not at the next tick.
	a.payload.Store([]byte("a-state-2"))
	kicked := time.Now()
	a.ch.Kick()
	var arrived time.Time
	waitFor(t, time.Second, "kicked payload", func() bool {
		for _, h := range b.since("interlink", kicked) {
			if string(h.Payload) == "a-state-2" {
				arrived = h.At // stamped by the receive thread, not this goroutine
				return true
			}
		}
		return false
	})
	took := arrived.Sub(kicked)
	t.Logf("kicked state arrived after %s (interval 20ms)", took)
	if took > 5*time.Millisecond {
		t.Errorf("kicked state took %s, want well under the 20ms interval", took)
	}
}

func TestOnePathDownOtherStillDelivers(t *testing.T) {
	tb := newTestbed(t)
	a := start(t, tb.newChannel(t, tb.config(0, 10*time.Millisecond), 0), "a")
	b := start(t, tb.newChannel(t, tb.config(1, 10*time.Millisecond), 1), "b")
	time.Sleep(100 * time.Millisecond)

	// Cut the interlink on A: its sends there fail, B's arrive nowhere.
	run(t, "ip", "-n", tb.nsA, "link", "set", tb.il, "down")
	time.Sleep(50 * time.Millisecond)
	t0 := time.Now()
	time.Sleep(300 * time.Millisecond)
	if n := len(b.since("interlink", t0)); n != 0 {
		t.Errorf("b heard %d heartbeats on the cut interlink", n)
	}
	for name, r := range map[string]*running{"a": a, "b": b} {
		if n := len(r.since("lan", t0)); n < 20 {
			t.Errorf("%s heard %d heartbeats on the lan in 300ms while the interlink was down, want >= 20", name, n)
		}
	}
	st := a.ch.Stats().Paths["interlink"]
	t.Logf("a interlink while down: sent=%d sendErrors=%d last=%q", st.Sent, st.SendErrors, st.LastSendError)
	if st.SendErrors == 0 {
		t.Errorf("no send errors counted on the down interlink")
	}

	// Heal: the interlink resumes by itself.
	run(t, "ip", "-n", tb.nsA, "link", "set", tb.il, "up")
	healed := time.Now()
	took := waitFor(t, 5*time.Second, "interlink heartbeats after link up", func() bool {
		return len(b.since("interlink", healed)) > 0 && len(a.since("interlink", healed)) > 0
	})
	t.Logf("interlink delivered again %s after link up", took)
}
