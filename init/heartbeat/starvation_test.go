package heartbeat

import (
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"
)

// busyCPUs keeps every CPU busy with normal-priority processes: stress-ng
// if installed, shell busy loops otherwise.
func busyCPUs(t *testing.T, d time.Duration) {
	t.Helper()
	n := runtime.NumCPU()
	var cmds []*exec.Cmd
	if _, err := exec.LookPath("stress-ng"); err == nil {
		cmds = append(cmds, exec.Command("stress-ng", "--cpu", itoa(n), "--timeout", itoa(int(d.Seconds())+1)+"s", "--quiet"))
	} else {
		for range n {
			cmds = append(cmds, exec.Command("sh", "-c", "while :; do :; done"))
		}
	}
	for _, c := range cmds {
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Start(); err != nil {
			t.Fatalf("start load: %v", err)
		}
		t.Cleanup(func() {
			c.Process.Kill()
			c.Wait()
		})
	}
	// stress-ng forks its workers after a moment.
	time.Sleep(300 * time.Millisecond)
}

func itoa(n int) string { return strconv.Itoa(n) }

// gaps returns the sorted inter-arrival gaps of a sequence of heartbeats.
func gaps(hs []Heard) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(hs); i++ {
		out = append(out, hs[i].At.Sub(hs[i-1].At))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestRhythmUnderCPUStarvation runs both profiles for ~5 s while every CPU
// is busy, and checks the largest gap between heartbeats at the receiver.
func TestRhythmUnderCPUStarvation(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~6 s")
	}
	tb := newTestbed(t)
	// Default profile on one pair of channels, fast profile on the other
	// (separate ports, same namespaces and links).
	type pair struct {
		prof Profile
		a, b *running
	}
	var pairs []pair
	for i, prof := range []Profile{DefaultProfile, FastProfile} {
		ca, cb := tb.config(0, prof.Interval), tb.config(1, prof.Interval)
		ca.Port, cb.Port = DefaultPort+uint16(i), DefaultPort+uint16(i)
		pairs = append(pairs, pair{prof, start(t, tb.newChannel(t, ca, 0), "a"), start(t, tb.newChannel(t, cb, 1), "b")})
	}
	busyCPUs(t, 6*time.Second)
	t0 := time.Now()
	time.Sleep(5 * time.Second)
	for _, p := range pairs {
		for _, path := range []string{"interlink", "lan"} {
			g := gaps(p.b.since(path, t0))
			if len(g) == 0 {
				t.Fatalf("interval %s: nothing heard on %s", p.prof.Interval, path)
			}
			maxGap, p99 := g[len(g)-1], g[len(g)*99/100]
			t.Logf("interval %s, dead after %s, %s: %d heartbeats, max gap %s, p99 %s (priority %s, GOMAXPROCS %d)",
				p.prof.Interval, p.prof.DeadAfter, path, len(g)+1, maxGap, p99, p.a.ch.Stats().SendPriority, p.a.ch.Stats().GOMAXPROCS)
			// The default profile must stay well under DeadAfter (at most half
			// of it). The 5 ms profile is measured and reported only: its
			// 25 ms budget is within reach of Go GC stop-the-world pauses
			// stretched by preempted normal-priority runtime threads.
			limit := p.prof.DeadAfter / 2
			if p.prof == DefaultProfile && maxGap > limit {
				t.Errorf("interval %s on %s: max gap %s under load, want <= %s", p.prof.Interval, path, maxGap, limit)
			}
		}
		if o := p.b.ch.Stats().Overflow; o != 0 {
			t.Errorf("%d heartbeats lost to Heard() overflow", o)
		}
	}
}
