package failover

import (
	"container/heap"
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// A deterministic discrete-event simulation of two nodes, each running a
// Machine behind a tiny model of the runtime, over two heartbeat paths
// (interlink, LAN) with independent loss and partitions, plus an ARP oracle.

// simItem is one scheduled happening.
type simItem struct {
	at  time.Time
	seq uint64
	fn  func()
}

type simQueue []simItem

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simItem)) }
func (q *simQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

type simPath struct {
	up   bool
	loss float64
}

// simNode is one appliance: the machine plus the truth the runtime sees.
type simNode struct {
	idx       int
	cfg       Config
	m         *Machine // nil while down
	up        bool
	holds     bool // VIP on the interface
	haproxyOK bool
	linkUp    bool
	eligible  bool // last State().Eligible, to notice changes
	gen       int  // bumped on every start, so stale callbacks are dropped
}

type simMsgKind int

const (
	msgHeartbeat simMsgKind = iota
	msgHandover
	msgLeave
)

// simStats is what a run reports.
type simStats struct {
	simulated    time.Duration
	steps        int
	acquisitions int
	doubleHolds  int // transient two-holder episodes (resolved within bound)
	failovers    int // acquisitions after the first
}

type sim struct {
	rng   *rand.Rand
	now   time.Time
	end   time.Time
	t     Timing
	q     simQueue
	seq   uint64
	nodes [2]*simNode
	paths map[Path]*simPath
	rogue time.Time // a third host answers for the VIP until then

	// invariant bookkeeping
	lastDeliv   [2][2]time.Time // [from][to]
	runStart    [2][2]time.Time
	stableSince time.Time
	lastHeld    time.Time
	bothHolding bool
	firstHolder int // -1 until someone holds

	failback bool
	checkI1  bool
	checkI2  bool
	checkI3  bool
	noMove   bool // I4/I5: after the first acquisition the VIP never moves

	bound    time.Duration // I1
	liveness time.Duration // I2: stable this long => someone holds
	gap      time.Duration // I2: longest allowed hole after that

	stats simStats
	err   error
	trace []string
	doLog bool
}

func newSim(seed int64, cfg [2]Config, dur time.Duration) *sim {
	s := &sim{
		rng:         rand.New(rand.NewSource(seed)),
		now:         t0,
		end:         t0.Add(dur),
		t:           cfg[0].Timing.withDefaults(),
		paths:       map[Path]*simPath{PathInterlink: {up: true}, PathLAN: {up: true}},
		firstHolder: -1,
		failback:    cfg[0].Failback,
		checkI1:     true,
		checkI2:     true,
		checkI3:     !cfg[0].Failback,
	}
	t := s.t
	// I1: once each node has heard the other for DeadAfter (so neither can
	// still believe the other dead) plus two intervals (a heartbeat showing the
	// claim, and one more for a loss-delayed one), one of two holders must
	// have released.
	s.bound = t.DeadAfter + 2*t.Interval
	// I2: worst chain after the last change: a node's startup hold, a stale
	// view of a peer that just died (DeadAfter), a back-off after an answered
	// probe (ProbeRetry), a probe that never answers (ProbeTimeout), and ticks
	// to notice each step.
	s.liveness = t.StartupWait + t.DeadAfter + t.ProbeRetry + t.ProbeTimeout + 4*t.Interval
	// A failback handover leaves the VIP unheld until the requester learns of
	// the release (at worst when it declares the holder dead) and probes.
	s.gap = t.DeadAfter + 2*t.Interval + maxProbe
	s.stableSince = t0
	for i := range s.nodes {
		s.nodes[i] = &simNode{idx: i, cfg: cfg[i], haproxyOK: true, linkUp: true}
	}
	return s
}

const (
	minLatency = 50 * time.Microsecond
	maxLatency = time.Millisecond
	minProbe   = time.Millisecond
	maxProbe   = 3 * time.Millisecond
)

func (s *sim) at(d time.Duration, fn func()) {
	s.seq++
	heap.Push(&s.q, simItem{at: s.now.Add(d), seq: s.seq, fn: fn})
}

func (s *sim) uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int63n(int64(hi-lo)+1))
}

func (s *sim) logf(format string, a ...any) {
	if s.doLog {
		s.trace = append(s.trace, fmt.Sprintf("%8.3fms ", float64(s.now.Sub(t0))/1e6)+fmt.Sprintf(format, a...))
	}
}

func (s *sim) failf(format string, a ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("at %v: %s", s.now.Sub(t0), fmt.Sprintf(format, a...))
	}
}

// run processes events until the end time or the first violation.
func (s *sim) run() error {
	for s.q.Len() > 0 && s.err == nil {
		it := heap.Pop(&s.q).(simItem)
		if it.at.After(s.end) {
			break
		}
		s.now = it.at
		it.fn()
		s.check()
	}
	s.stats.simulated = s.end.Sub(t0)
	return s.err
}

// start boots node i (first boot or restart: new incarnation).
func (s *sim) start(i int) {
	n := s.nodes[i]
	n.up, n.holds, n.haproxyOK = true, false, true
	n.gen++
	cfg := n.cfg
	cfg.Incarnation = 0 // derived from the start time: grows on every restart
	n.m = New(cfg, s.now)
	s.invalidateRuns(i)
	s.stableSince = s.now
	s.logf("%s starts", cfg.Node)
	s.step(i, DataLink{Now: s.now, Up: n.linkUp})
	s.step(i, HAProxyUp{Now: s.now})
	gen := n.gen
	var tick func()
	tick = func() {
		if n.gen != gen || !n.up {
			return
		}
		s.step(i, Tick{Now: s.now})
		if n.gen == gen && n.up {
			s.sendAll(i, msgHeartbeat, n.m.State())
		}
		s.at(s.t.Interval, tick)
	}
	s.at(s.uniform(0, s.t.Interval), tick)
}

// crash stops node i abruptly: the VIP disappears with it.
func (s *sim) crash(i int, graceful bool) {
	n := s.nodes[i]
	if !n.up {
		return
	}
	if graceful {
		// The runtime releases the VIP, then tells the peer.
		n.holds = false
		if s.connected(PathInterlink) || s.connected(PathLAN) {
			s.deliver(i, 1-i, PathInterlink, msgLeave, PeerState{Node: n.cfg.Node})
		}
	}
	s.logf("%s %s", n.cfg.Node, map[bool]string{true: "leaves", false: "crashes"}[graceful])
	n.up, n.holds, n.m = false, false, nil
	n.gen++
	s.invalidateRuns(i)
	s.stableSince = s.now
}

func (s *sim) invalidateRuns(i int) {
	for j := range 2 {
		s.lastDeliv[i][j], s.lastDeliv[j][i] = time.Time{}, time.Time{}
		s.runStart[i][j], s.runStart[j][i] = time.Time{}, time.Time{}
	}
}

// connected: a path carries packets now (the LAN also needs both data links).
func (s *sim) connected(p Path) bool {
	if !s.paths[p].up {
		return false
	}
	if p == PathLAN {
		return s.nodes[0].linkUp && s.nodes[1].linkUp
	}
	return true
}

func (s *sim) sendAll(from int, kind simMsgKind, st PeerState) {
	for _, p := range []Path{PathInterlink, PathLAN} {
		if !s.connected(p) || s.rng.Float64() < s.paths[p].loss {
			continue
		}
		s.deliver(from, 1-from, p, kind, st)
	}
}

func (s *sim) deliver(from, to int, p Path, kind simMsgKind, st PeerState) {
	s.at(s.uniform(minLatency, maxLatency), func() {
		n := s.nodes[to]
		if !n.up {
			return // in-flight packets from a crashed sender still arrive
		}
		switch kind {
		case msgHeartbeat:
			if f := s.nodes[from]; f.up && st.Incarnation == f.m.incarnation {
				s.noteDelivery(from, to)
			}
			s.step(to, PeerHeard{Now: s.now, Path: p, State: st})
		case msgHandover:
			s.step(to, HandoverRequested{Now: s.now, From: st.Node})
		case msgLeave:
			s.step(to, PeerLeft{Now: s.now, Node: st.Node})
		}
	})
}

func (s *sim) noteDelivery(from, to int) {
	last := s.lastDeliv[from][to]
	if last.IsZero() || s.now.Sub(last) >= s.t.DeadAfter {
		s.runStart[from][to] = s.now
	}
	s.lastDeliv[from][to] = s.now
}

// heardFor: direction from->to has delivered heartbeats with no gap of
// DeadAfter for at least d.
func (s *sim) heardFor(from, to int, d time.Duration) bool {
	last := s.lastDeliv[from][to]
	return !last.IsZero() && s.now.Sub(last) < s.t.DeadAfter && s.now.Sub(s.runStart[from][to]) >= d
}

// lanAnswers is the ARP oracle for a probe by node i.
func (s *sim) lanAnswers(i int) bool {
	if s.now.Before(s.rogue) {
		return true
	}
	o := s.nodes[1-i]
	return o.up && o.holds && s.connected(PathLAN)
}

// step feeds one event to node i and executes the actions like the runtime.
func (s *sim) step(i int, ev Event) {
	n := s.nodes[i]
	if !n.up {
		return
	}
	m := n.m
	b := snapBefore(m)
	acts := m.Step(ev)
	s.stats.steps++
	if err := checkStep(m, b, ev, acts); err != nil {
		s.failf("%s single-step invariant on %T: %v", n.cfg.Node, ev, err)
		return
	}
	for _, a := range acts {
		s.execute(i, ev, a)
	}
	if e := m.State().Eligible; e != n.eligible {
		n.eligible = e
		s.stableSince = s.now
	}
}

func (s *sim) execute(i int, ev Event, a Action) {
	n := s.nodes[i]
	o := s.nodes[1-i]
	switch a := a.(type) {
	case Transition:
		s.logf("%s %v -> %v: %s", n.cfg.Node, a.From, a.To, a.Reason)
		if s.checkI3 && a.From == Active && strings.Contains(a.Reason, "handover") {
			s.failf("I3: %s handed the VIP over with failback off", n.cfg.Node)
		}
	case StartProbe:
		if s.noMove && s.firstHolder >= 0 {
			s.failf("%s probes although %s holds the VIP (spurious failover attempt)", n.cfg.Node, s.nodes[s.firstHolder].cfg.Node)
		}
		gen, id := n.gen, a.ID
		s.at(s.uniform(minProbe, maxProbe), func() {
			if n.gen == gen && n.up {
				s.step(i, ProbeResult{Now: s.now, ID: id, Answered: s.lanAnswers(i)})
			}
		})
	case AcquireVIP:
		if _, re := ev.(ProbeResult); re {
			s.acquired(i)
		}
		n.holds = true
		if o.up && o.holds && s.connected(PathLAN) {
			// Its gratuitous ARP reaches the other holder.
			gen := o.gen
			s.at(s.uniform(minLatency, maxLatency), func() {
				if o.gen == gen {
					s.step(o.idx, ForeignClaim{Now: s.now, FromPeer: true, Peer: n.cfg.Node})
				}
			})
		}
	case ReleaseVIP:
		n.holds = false
	case RequestHandover:
		s.sendAll(i, msgHandover, PeerState{Node: n.cfg.Node})
	case Broadcast:
		s.sendAll(i, msgHeartbeat, a.State)
	}
}

// acquired checks a takeover (from Probing) against I3 and the no-move runs.
func (s *sim) acquired(i int) {
	o := s.nodes[1-i]
	s.stats.acquisitions++
	if s.firstHolder >= 0 {
		s.stats.failovers++
		if s.noMove {
			s.failf("VIP moved to %s (spurious failover)", s.nodes[i].cfg.Node)
		}
	}
	if s.firstHolder < 0 {
		s.firstHolder = i
	}
	if s.checkI3 && o.up && o.holds && o.m.State().Eligible && s.heardFor(0, 1, s.bound) && s.heardFor(1, 0, s.bound) {
		s.failf("I3: %s took the VIP from healthy, connected holder %s", s.nodes[i].cfg.Node, o.cfg.Node)
	}
}

// check evaluates the global invariants after every happening.
func (s *sim) check() {
	a, b := s.nodes[0], s.nodes[1]
	if a.holds || b.holds {
		s.lastHeld = s.now
	}
	both := a.up && b.up && a.holds && b.holds
	if both && !s.bothHolding {
		s.stats.doubleHolds++
		s.logf("both hold")
	}
	s.bothHolding = both
	if s.checkI1 && both && s.heardFor(0, 1, s.bound) && s.heardFor(1, 0, s.bound) {
		s.failf("I1: both nodes hold the VIP although they have heard each other for %v", s.bound)
	}
	if s.checkI2 && s.now.Sub(s.stableSince) >= s.liveness && s.now.Sub(s.lastHeld) > s.gap {
		for _, n := range s.nodes {
			if n.up && n.m.State().Eligible {
				s.failf("I2: %s is up and eligible, stable for %v, but nobody has held the VIP for %v",
					n.cfg.Node, s.now.Sub(s.stableSince), s.now.Sub(s.lastHeld))
				break
			}
		}
	}
}

// change marks a fault or repair: liveness is only promised after quiet.
func (s *sim) change(format string, a ...any) {
	s.stableSince = s.now
	s.logf(format, a...)
}
