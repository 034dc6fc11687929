package failover

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

// simConfigs draws a configuration both nodes share: which index has the
// lower name, the preferred node, failback and the migration threshold.
func simConfigs(seed int64, failback bool) [2]Config {
	r := rand.New(rand.NewSource(seed ^ 0x5eed))
	names := [2]string{"haproxy1", "haproxy2"}
	if r.Intn(2) == 0 {
		names[0], names[1] = names[1], names[0]
	}
	pref := []string{"", names[0], names[1]}[r.Intn(3)]
	thr := []int{1, 1, 2}[r.Intn(3)]
	var c [2]Config
	for i := range c {
		c[i] = Config{Node: names[i], Preferred: pref, Failback: failback, MigrationThreshold: thr, Timing: FastTiming()}
	}
	return c
}

// simulate runs one seeded schedule; on a violation it re-runs the same seed
// with tracing and fails with the tail of the trace.
func simulate(t *testing.T, seed int64, cfg [2]Config, dur time.Duration, setup func(*sim)) simStats {
	t.Helper()
	build := func(trace bool) *sim {
		s := newSim(seed, cfg, dur)
		s.doLog = trace
		setup(s)
		return s
	}
	s := build(false)
	if err := s.run(); err != nil {
		s2 := build(true)
		_ = s2.run()
		tail := s2.trace
		if len(tail) > 80 {
			tail = tail[len(tail)-80:]
		}
		t.Fatalf("seed %d, config %+v / %+v: %v\ntrace:\n%s", seed, cfg[0], cfg[1], err, strings.Join(tail, "\n"))
	}
	return s.stats
}

func bootBoth(s *sim) {
	s.start(0)
	s.at(s.uniform(0, 2*s.t.Interval), func() { s.start(1) })
}

// TestSimRandomSchedules: thousands of random fault schedules; checks I1
// (no two holders after mutual contact), I2 (liveness after quiet), I3 (no
// failback when it is off) and every single-step invariant.
func TestSimRandomSchedules(t *testing.T) {
	schedules, dur := 1500, 3*time.Second
	if testing.Short() {
		schedules = 150
	}
	began := time.Now()
	var total simStats
	for seed := int64(1); seed <= int64(schedules); seed++ {
		cfg := simConfigs(seed, seed%3 == 0)
		st := simulate(t, seed, cfg, dur, func(s *sim) {
			bootBoth(s)
			s.faults()
		})
		total.simulated += st.simulated
		total.steps += st.steps
		total.acquisitions += st.acquisitions
		total.failovers += st.failovers
		total.doubleHolds += st.doubleHolds
	}
	t.Logf("%d schedules, %v simulated (%.2f h), %d machine steps, %d acquisitions, %d transient double holds, wall %v",
		schedules, total.simulated, total.simulated.Hours(), total.steps, total.acquisitions, total.doubleHolds, time.Since(began).Round(time.Millisecond))
}

// runNoMove runs seeded two-node schedules in which the VIP must never move
// after the first acquisition, and no node may even probe for it again.
func runNoMove(t *testing.T, seeds int, dur time.Duration, setup func(*sim)) {
	t.Helper()
	if testing.Short() {
		seeds = max(seeds/10, 2)
	}
	began := time.Now()
	var total time.Duration
	for seed := int64(1); seed <= int64(seeds); seed++ {
		cfg := simConfigs(seed, seed%2 == 0)
		var s0 *sim
		simulate(t, seed, cfg, dur, func(s *sim) {
			s0 = s
			s.noMove = true
			bootBoth(s)
			setup(s)
		})
		if s0.firstHolder < 0 {
			t.Fatalf("seed %d: nobody ever took the VIP", seed)
		}
		total += dur
	}
	t.Logf("%d schedules, %v simulated, wall %v", seeds, total, time.Since(began).Round(time.Millisecond))
}

// TestSimInterlinkLossNoSpuriousFailover (I4): 20% independent loss on the
// interlink alone, healthy LAN: the VIP never moves.
func TestSimInterlinkLossNoSpuriousFailover(t *testing.T) {
	runNoMove(t, 50, 20*time.Second, func(s *sim) {
		s.paths[PathInterlink].loss = 0.2
	})
}

// TestSimInterlinkCutNeverMovesVIP (I5): the interlink is cut and healed at
// random (lossy while up), the LAN path stays intact: the VIP never moves.
func TestSimInterlinkCutNeverMovesVIP(t *testing.T) {
	runNoMove(t, 50, 20*time.Second, func(s *sim) {
		s.paths[PathInterlink].loss = 0.2
		var flip func()
		flip = func() {
			il := s.paths[PathInterlink]
			il.up = !il.up
			s.change("interlink up=%v", il.up)
			s.at(s.uniform(time.Millisecond, 2*time.Second), flip)
		}
		s.at(s.uniform(100*time.Millisecond, time.Second), flip)
	})
}

// TestSimReturningNodeNoFailback (I3, directed): the standby (often the
// preferred node) crashes, leaves and returns over and over with failback
// off; the healthy holder keeps the VIP.
func TestSimReturningNodeNoFailback(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 4
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		cfg := simConfigs(seed, false)
		var s0 *sim
		simulate(t, seed, cfg, 5*time.Second, func(s *sim) {
			s0 = s
			bootBoth(s)
			var bounce func()
			bounce = func() {
				if h := s.firstHolder; h >= 0 {
					s.noMove = true
					o := 1 - h
					if s.nodes[o].up {
						s.crash(o, s.rng.Intn(2) == 0)
						s.at(s.uniform(time.Millisecond, 200*time.Millisecond), func() { s.start(o) })
					}
				}
				s.at(s.uniform(50*time.Millisecond, 400*time.Millisecond), bounce)
			}
			s.at(300*time.Millisecond, bounce)
		})
		if s0.firstHolder < 0 {
			t.Fatalf("seed %d: nobody took the VIP", seed)
		}
	}
}
