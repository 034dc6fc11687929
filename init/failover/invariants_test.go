package failover

import (
	"fmt"
	"strings"
	"time"
)

// before records what an invariant check needs from just before a Step.
type before struct {
	role    Role
	probeID uint64
	state   PeerState
}

func snapBefore(m *Machine) before {
	return before{role: m.role, probeID: m.probeID, state: m.State()}
}

// checkStep verifies the single-step invariants of one Step(ev) that returned
// acts. It reads the machine's internals (same package) to judge them.
func checkStep(m *Machine, b before, ev Event, acts []Action) error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	now := m.now
	after := m.role
	st := m.State()

	// State and role agree.
	if st.Holds != (after == Active) || st.Probing != (after == Probing) {
		fail("state %+v does not match role %v", st, after)
	}
	// Never acquire without an unanswered probe (or a re-announce while Active).
	if count[AcquireVIP](acts) > 0 {
		pr, isProbe := ev.(ProbeResult)
		fromProbe := b.role == Probing && isProbe && !pr.Answered && pr.ID == b.probeID
		reannounce := b.role == Active && after == Active
		if !fromProbe && !reannounce {
			fail("AcquireVIP from %v on %T without an unanswered probe", b.role, ev)
		}
		if after != Active {
			fail("AcquireVIP but role %v", after)
		}
	}
	// An ineligible node never probes or holds.
	if (after == Active || after == Probing) && !m.eligible() {
		fail("role %v while not eligible (%s)", after, m.ineligibleReason())
	}
	// A live peer's claim always wins over probing; a losing holder never
	// stays Active past the step that showed it the peer's claim.
	if after == Probing && m.liveHolder(now) != nil {
		fail("probing while live peer %s holds", m.liveHolder(now).state.Node)
	}
	if after == Active {
		hs := []Candidate{{Node: m.cfg.Node, Eligible: m.eligible()}}
		for _, p := range m.livePeers(now) {
			if p.state.Holds {
				hs = append(hs, Candidate{Node: p.state.Node, Eligible: p.state.Eligible})
			}
		}
		if w := HolderWinner(hs, m.cfg.Preferred); len(hs) > 1 && w != m.cfg.Node {
			fail("still active although %s wins the split-brain rule", w)
		}
	}
	// A standby node that sees a live holder never starts probing.
	if b.role == Standby && after != Standby && m.liveHolder(now) != nil {
		fail("left standby (%v) while a live peer holds", after)
	}
	// Startup hold.
	if !m.heardAny && now.Sub(m.started) < m.t.StartupWait && after != Standby {
		fail("role %v during the startup hold", after)
	}
	// Release iff leaving Active.
	if rel := count[ReleaseVIP](acts) > 0; rel != (b.role == Active && after != Active) {
		fail("ReleaseVIP=%v on %v -> %v", rel, b.role, after)
	}
	// Probe iff entering Probing.
	if sp := count[StartProbe](acts) > 0; sp != (b.role != Probing && after == Probing) {
		fail("StartProbe=%v on %v -> %v", sp, b.role, after)
	}
	// Exactly one Transition iff the role changed, and it says so.
	n := count[Transition](acts)
	if (n == 1) != (b.role != after) || n > 1 {
		fail("%d transitions on %v -> %v", n, b.role, after)
	} else if n == 1 {
		tr, _ := find[Transition](acts)
		if tr.From != b.role || tr.To != after || tr.Reason == "" || !tr.At.Equal(now) {
			fail("transition %+v on %v -> %v", tr, b.role, after)
		}
	}
	// Broadcast iff the broadcast content changed; it carries the new state,
	// and it comes last (after the VIP is added or removed).
	bc := count[Broadcast](acts)
	if changed := !st.sameContent(b.state); (bc == 1) != changed || bc > 1 {
		fail("%d broadcasts, state changed=%v", bc, changed)
	}
	if bc == 1 {
		if last, ok := acts[len(acts)-1].(Broadcast); !ok || last.State != st || st.Version <= b.state.Version {
			fail("broadcast not last or stale: %s", kinds(acts))
		}
	}
	// Stickiness: without failback, an eligible holder only gives the VIP up
	// to a winning peer claim or a foreign claim.
	if !m.cfg.Failback && b.role == Active && after != Active && m.eligible() {
		if _, ok := ev.(ForeignClaim); !ok && m.liveHolder(now) == nil {
			fail("released the VIP while eligible with no competing claim (%T)", ev)
		}
	}
	// Handover requests only from the preferred node with failback, to a
	// live holder.
	if rh, ok := find[RequestHandover](acts); ok {
		p := m.peers[rh.To]
		if !m.cfg.Failback || m.cfg.Preferred != m.cfg.Node || p == nil || !p.alive(now, m.t.DeadAfter) || !p.state.Holds {
			fail("unexpected RequestHandover to %s", rh.To)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(errs, "; "))
}

// clone deep-copies a machine so the exhaustive test can branch from a state.
func (m *Machine) clone() *Machine {
	c := *m
	c.peers = make(map[string]*peer, len(m.peers))
	for k, p := range m.peers {
		cp := *p
		cp.lastHeard = make(map[Path]time.Time, len(p.lastHeard))
		for pk, v := range p.lastHeard {
			cp.lastHeard[pk] = v
		}
		c.peers[k] = &cp
	}
	c.history = append([]Transition(nil), m.history...)
	return &c
}
