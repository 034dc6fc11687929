package failover

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness drives one Machine with a clock relative to t0.
type harness struct {
	t    testing.TB
	m    *Machine
	now  time.Time
	last []Action
	// peerVer versions the synthetic peer's heartbeats.
	peerVer uint64
}

// newHarness builds a machine whose HAProxy and data link are up.
func newHarness(t testing.TB, cfg Config) *harness {
	if cfg.Timing == (Timing{}) {
		cfg.Timing = FastTiming()
	}
	h := &harness{t: t, m: New(cfg, t0), now: t0}
	h.step(HAProxyUp{})
	h.step(DataLink{Up: true})
	return h
}

func (h *harness) tm() Timing { return h.m.Timing() }

// step stamps the event with the harness clock and applies it.
// Every step is checked against the single-step invariants.
func (h *harness) step(ev Event) []Action {
	ev = stamp(ev, h.now)
	b := snapBefore(h.m)
	h.last = h.m.Step(ev)
	if err := checkStep(h.m, b, ev, h.last); err != nil {
		h.t.Fatalf("%s: step %T %+v -> %s: %v", h.m.cfg.Node, ev, ev, kinds(h.last), err)
	}
	return h.last
}

// advance moves the clock by d and ticks.
func (h *harness) advance(d time.Duration) []Action {
	h.now = h.now.Add(d)
	return h.step(Tick{})
}

// hear delivers a heartbeat from a peer on a path (version bumped each call).
func (h *harness) hear(path Path, st PeerState) []Action {
	if st.Incarnation == 0 {
		st.Incarnation = 1
	}
	if st.Version == 0 {
		h.peerVer++
		st.Version = h.peerVer
	}
	return h.step(PeerHeard{Path: path, State: st})
}

// activate takes the machine to Active (alone, after the startup wait).
func (h *harness) activate() {
	h.t.Helper()
	h.advance(h.tm().StartupWait)
	sp, ok := find[StartProbe](h.last)
	if !ok {
		h.t.Fatalf("activate: no probe started, role %v, actions %v", h.m.Role(), h.last)
	}
	h.step(ProbeResult{ID: sp.ID})
	if h.m.Role() != Active {
		h.t.Fatalf("activate: role %v after unanswered probe", h.m.Role())
	}
}

func stamp(ev Event, now time.Time) Event {
	switch e := ev.(type) {
	case Tick:
		e.Now = now
		return e
	case PeerHeard:
		e.Now = now
		return e
	case PeerLeft:
		e.Now = now
		return e
	case ProbeResult:
		e.Now = now
		return e
	case ForeignClaim:
		e.Now = now
		return e
	case HAProxyDown:
		e.Now = now
		return e
	case HAProxyUp:
		e.Now = now
		return e
	case DataLink:
		e.Now = now
		return e
	case OperatorStandby:
		e.Now = now
		return e
	case OperatorOnline:
		e.Now = now
		return e
	case VIPLost:
		e.Now = now
		return e
	case HandoverRequested:
		e.Now = now
		return e
	}
	panic(fmt.Sprintf("stamp: unknown event %T", ev))
}

func find[T Action](acts []Action) (T, bool) {
	for _, a := range acts {
		if v, ok := a.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func count[T Action](acts []Action) int {
	n := 0
	for _, a := range acts {
		if _, ok := a.(T); ok {
			n++
		}
	}
	return n
}

func lastReason(acts []Action) string {
	r := ""
	for _, a := range acts {
		if tr, ok := a.(Transition); ok {
			r = tr.Reason
		}
	}
	return r
}

func kinds(acts []Action) string {
	var s []string
	for _, a := range acts {
		s = append(s, strings.TrimPrefix(fmt.Sprintf("%T", a), "failover."))
	}
	return strings.Join(s, ",")
}
