package failover

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Reasons the spec fixes word for word (status output and tests match them).
const (
	ReasonProbeAnswered  = "VIP answered on the LAN (split-brain guard)"
	ReasonForeignUnknown = "foreign claim from unknown host"
)

// Machine is one node's failover state machine. It is not safe for concurrent
// use: the runtime calls Step from one goroutine.
type Machine struct {
	cfg         Config
	t           Timing
	threshold   int
	incarnation uint64
	version     uint64
	started     time.Time
	now         time.Time

	role  Role
	since time.Time

	haproxyUp     bool
	healthySince  time.Time
	linkUp        bool
	opStandby     bool
	standbyReason string // why opStandby, for transitions
	banned        bool
	bannedAt      time.Time
	failCount     int
	lastFailure   string

	probeID         uint64
	probeStarted    time.Time
	probeReason     string
	noProbeBefore   time.Time
	lastHandoverReq time.Time

	peers    map[string]*peer
	heardAny bool
	history  []Transition
}

// New returns a Standby machine started at now. HAProxy and the data link
// count as down until the runtime reports HAProxyUp and DataLink{Up: true}.
func New(cfg Config, now time.Time) *Machine {
	m := &Machine{
		cfg:         cfg,
		t:           cfg.Timing.withDefaults(),
		threshold:   max(cfg.MigrationThreshold, 1),
		incarnation: cfg.Incarnation,
		version:     1,
		started:     now,
		now:         now,
		since:       now,
		peers:       make(map[string]*peer),
	}
	if m.incarnation == 0 {
		m.incarnation = uint64(now.UnixNano())
	}
	return m
}

// Timing returns the timing in effect (defaults filled in).
func (m *Machine) Timing() Timing { return m.t }

// Role returns the current role.
func (m *Machine) Role() Role { return m.role }

// State is what this node broadcasts in its heartbeats.
func (m *Machine) State() PeerState {
	return PeerState{
		Node:        m.cfg.Node,
		Incarnation: m.incarnation,
		Version:     m.version,
		Holds:       m.role == Active,
		Eligible:    m.eligible(),
		Probing:     m.role == Probing,
		Standby:     m.opStandby,
		Banned:      m.banned,
		FailCount:   m.failCount,
	}
}

// Step applies one event and returns the actions to execute, in order.
func (m *Machine) Step(ev Event) []Action {
	if ev == nil {
		return nil
	}
	now := ev.at()
	if now.Before(m.now) {
		now = m.now // never let time run backwards inside the machine
	}
	m.now = now
	before := m.State()
	out := m.handle(ev, now, nil)
	if m.role == before.Role() {
		out = m.reconcile(now, out) // at most one transition per step
	}
	if !m.State().sameContent(before) {
		m.version++
		out = append(out, Broadcast{State: m.State()})
	}
	return out
}

// handle applies the event's own effect; reconcile then decides the role.
func (m *Machine) handle(ev Event, now time.Time, out []Action) []Action {
	switch e := ev.(type) {
	case Tick:
		// Timeouts are evaluated by reconcile.
	case PeerHeard:
		m.heard(e, now)
	case PeerLeft:
		if p := m.peers[e.Node]; p != nil && !p.left {
			p.left, p.leftAt, p.leftInc = true, now, p.state.Incarnation
		}
	case ProbeResult:
		out = m.probeResult(e, now, out)
	case ForeignClaim:
		out = m.foreignClaim(e, now, out)
	case HAProxyDown:
		m.failCount++
		m.lastFailure = e.Reason
		if m.lastFailure == "" {
			m.lastFailure = "HAProxy down"
		}
		m.haproxyUp = false
		if m.failCount >= m.threshold && !m.banned {
			m.banned, m.bannedAt = true, now
		}
	case HAProxyUp:
		if !m.haproxyUp {
			m.haproxyUp, m.healthySince = true, now
		}
	case DataLink:
		m.linkUp = e.Up
	case OperatorStandby:
		m.opStandby, m.standbyReason = true, e.Reason
		if m.standbyReason == "" {
			m.standbyReason = "operator standby"
		}
	case OperatorOnline:
		m.opStandby, m.banned, m.bannedAt, m.failCount = false, false, time.Time{}, 0
	case VIPLost:
		if m.role == Active {
			out = append(out, AcquireVIP{})
		}
	case HandoverRequested:
		out = m.handoverRequested(e, now, out)
	}
	return out
}

func (m *Machine) heard(e PeerHeard, now time.Time) {
	st := e.State
	if st.Node == "" || st.Node == m.cfg.Node {
		return // misconfigured or our own echo
	}
	p := m.peers[st.Node]
	if p == nil {
		p = newPeer()
		m.peers[st.Node] = p
	}
	if !p.accept(st, now, m.t.DeadAfter) {
		return
	}
	if st.Incarnation != p.state.Incarnation {
		p.announced = false
	}
	p.state, p.left = st, false
	p.lastHeard[e.Path] = now
	m.heardAny = true
}

func (m *Machine) probeResult(e ProbeResult, now time.Time, out []Action) []Action {
	if m.role != Probing || e.ID != m.probeID {
		return out // stale result of an aborted probe
	}
	if e.Answered {
		m.noProbeBefore = now.Add(m.t.ProbeRetry)
		return m.setRole(Standby, ReasonProbeAnswered, now, out)
	}
	if !m.eligible() {
		return m.setRole(Standby, "probe aborted: "+m.ineligibleReason(), now, out)
	}
	if h := m.liveHolder(now); h != nil {
		return m.setRole(Standby, fmt.Sprintf("probe aborted: peer %s claims the VIP", h.state.Node), now, out)
	}
	out = m.setRole(Active, "ARP probe unanswered; "+m.probeReason, now, out)
	return append(out, AcquireVIP{})
}

func (m *Machine) foreignClaim(e ForeignClaim, now time.Time, out []Action) []Action {
	if m.role != Active {
		return out // only the holder watches; a prober's probe decides
	}
	if e.FromPeer {
		if p := m.claimingPeer(e.Peer); p != nil {
			p.state.Holds = true // until its next heartbeat says otherwise
			w := HolderWinner([]Candidate{
				{Node: m.cfg.Node, Eligible: m.eligible()},
				{Node: p.state.Node, Eligible: p.state.Eligible},
			}, m.cfg.Preferred)
			if w == m.cfg.Node {
				p.announced = true
				return append(out, AcquireVIP{}) // re-announce: its ARP moved clients
			}
			if !p.alive(now, m.t.DeadAfter) {
				// Its heartbeats do not reach us but its ARP does: a probe
				// would be answered, so do not try again at once.
				m.noProbeBefore = now.Add(m.t.ProbeRetry)
			}
			return m.release(fmt.Sprintf("peer %s claims the VIP on the LAN and wins the split-brain rule", w), now, out)
		}
	}
	m.noProbeBefore = now.Add(m.t.ProbeRetry)
	return m.release(ReasonForeignUnknown, now, out)
}

// claimingPeer finds the peer a FromPeer claim is about; nil if we know no
// state for it (then it is treated like an unknown host).
func (m *Machine) claimingPeer(name string) *peer {
	if name != "" {
		if p := m.peers[name]; p != nil && p.state.Node != "" {
			return p
		}
		return nil
	}
	if len(m.peers) == 1 {
		for _, p := range m.peers {
			if p.state.Node != "" {
				return p
			}
		}
	}
	return nil
}

func (m *Machine) handoverRequested(e HandoverRequested, now time.Time, out []Action) []Action {
	if m.role != Active || !m.cfg.Failback || m.cfg.Preferred == "" ||
		e.From != m.cfg.Preferred || m.cfg.Node == m.cfg.Preferred {
		return out
	}
	p := m.peers[e.From]
	if p == nil || !p.alive(now, m.t.DeadAfter) || !p.state.Eligible || p.state.Holds {
		return out // only an eligible, live requester gets the VIP
	}
	return m.release(fmt.Sprintf("handover to preferred node %s (failback)", e.From), now, out)
}

// reconcile decides the role from the current inputs: at most one transition.
func (m *Machine) reconcile(now time.Time, out []Action) []Action {
	if m.banned && m.haproxyUp && now.Sub(m.healthySince) >= m.t.BanClearAfter {
		m.banned, m.bannedAt = false, time.Time{}
	}
	switch m.role {
	case Active:
		return m.reconcileActive(now, out)
	case Probing:
		switch {
		case !m.eligible():
			return m.setRole(Standby, "probe aborted: "+m.ineligibleReason(), now, out)
		case m.liveHolder(now) != nil:
			return m.setRole(Standby, fmt.Sprintf("probe aborted: peer %s claims the VIP", m.liveHolder(now).state.Node), now, out)
		case now.Sub(m.probeStarted) >= m.t.ProbeTimeout:
			return m.setRole(Standby, "probe timed out", now, out)
		}
		return out
	}
	probe, reason, handoverTo := m.standbyDecision(now)
	switch {
	case probe:
		m.probeID++
		m.probeStarted, m.probeReason = now, reason
		out = m.setRole(Probing, reason, now, out)
		return append(out, StartProbe{ID: m.probeID})
	case handoverTo != "" && (m.lastHandoverReq.IsZero() || now.Sub(m.lastHandoverReq) >= m.t.Interval):
		m.lastHandoverReq = now
		return append(out, RequestHandover{To: handoverTo})
	}
	return out
}

func (m *Machine) reconcileActive(now time.Time, out []Action) []Action {
	if !m.eligible() {
		return m.release(m.ineligibleReason(), now, out)
	}
	holders := []Candidate{{Node: m.cfg.Node, Eligible: true}}
	var holding []*peer
	for _, p := range m.livePeers(now) {
		if p.state.Holds {
			holders = append(holders, Candidate{Node: p.state.Node, Eligible: p.state.Eligible})
			holding = append(holding, p)
		} else {
			p.announced = false
		}
	}
	if len(holding) == 0 {
		return out
	}
	if w := HolderWinner(holders, m.cfg.Preferred); w != m.cfg.Node {
		return m.release(fmt.Sprintf("peer %s also holds the VIP and wins the split-brain rule", w), now, out)
	}
	for _, p := range holding {
		if !p.announced {
			p.announced = true
			out = append(out, AcquireVIP{}) // re-announce once per conflict
		}
	}
	return out
}

// standbyDecision: should a Standby node probe now, and if not, should it ask
// the holder for a handover (failback)?
func (m *Machine) standbyDecision(now time.Time) (probe bool, reason, handoverTo string) {
	if !m.eligible() || now.Before(m.noProbeBefore) {
		return false, "", ""
	}
	if !m.heardAny && now.Sub(m.started) < m.t.StartupWait {
		return false, "", "" // startup hold: give a live peer time to be heard
	}
	live := m.livePeers(now)
	for _, p := range live {
		if p.state.Holds {
			if m.cfg.Failback && m.cfg.Preferred == m.cfg.Node && p.state.Node != m.cfg.Preferred {
				return false, "", p.state.Node
			}
			return false, "", ""
		}
	}
	cands := []string{m.cfg.Node}
	for _, p := range live {
		if p.state.Probing {
			return false, "", "" // it is already taking the VIP
		}
		if p.state.Eligible {
			cands = append(cands, p.state.Node)
		}
	}
	if TieBreak(cands, m.cfg.Preferred) != m.cfg.Node {
		return false, "", ""
	}
	return true, m.probeWhy(now, live, cands), ""
}

// probeWhy explains in words why a Standby node decided to probe.
func (m *Machine) probeWhy(now time.Time, live []*peer, cands []string) string {
	if len(cands) > 1 {
		if m.cfg.Preferred == m.cfg.Node {
			return "neither node holds the VIP; tie-break: preferred node"
		}
		return "neither node holds the VIP; tie-break: lowest node name"
	}
	var parts []string
	for _, p := range live {
		parts = append(parts, fmt.Sprintf("peer %s gave up the VIP (%s)", p.state.Node, peerIneligibility(p.state)))
	}
	for _, p := range m.sortedPeers() {
		if p.alive(now, m.t.DeadAfter) || p.state.Node == "" {
			continue
		}
		if p.left {
			parts = append(parts, fmt.Sprintf("peer %s left", p.state.Node))
		} else {
			parts = append(parts, fmt.Sprintf("peer %s dead (not heard for %s)", p.state.Node, now.Sub(p.lastHeardAny())))
		}
	}
	if len(parts) == 0 {
		return "no peer heard within the startup wait"
	}
	return strings.Join(parts, "; ")
}

func peerIneligibility(s PeerState) string {
	switch {
	case s.Standby:
		return "operator standby"
	case s.Banned:
		return "banned"
	}
	return "not eligible"
}

func (m *Machine) release(reason string, now time.Time, out []Action) []Action {
	for _, p := range m.peers {
		p.announced = false
	}
	out = m.setRole(Standby, reason, now, out)
	return append(out, ReleaseVIP{})
}

func (m *Machine) setRole(to Role, reason string, now time.Time, out []Action) []Action {
	tr := Transition{From: m.role, To: to, Reason: reason, At: now}
	m.role, m.since = to, now
	m.history = append(m.history, tr)
	if n := len(m.history); n > MaxTransitions {
		m.history = append(m.history[:0:0], m.history[n-MaxTransitions:]...)
	}
	return append(out, tr)
}

func (m *Machine) eligible() bool {
	return m.haproxyUp && m.linkUp && !m.opStandby && !m.banned
}

func (m *Machine) ineligibleReason() string {
	switch {
	case m.opStandby:
		return m.standbyReason
	case m.banned:
		return fmt.Sprintf("banned after %d HAProxy failure(s), last: %s", m.failCount, m.lastFailure)
	case !m.haproxyUp && m.lastFailure != "":
		return "HAProxy down: " + m.lastFailure
	case !m.haproxyUp:
		return "HAProxy not healthy"
	case !m.linkUp:
		return "data link down"
	}
	return "eligible"
}

// liveHolder returns a live peer that claims the VIP, if any.
func (m *Machine) liveHolder(now time.Time) *peer {
	for _, p := range m.livePeers(now) {
		if p.state.Holds {
			return p
		}
	}
	return nil
}

// livePeers in name order, so every decision is deterministic.
func (m *Machine) livePeers(now time.Time) []*peer {
	var live []*peer
	for _, p := range m.sortedPeers() {
		if p.alive(now, m.t.DeadAfter) {
			live = append(live, p)
		}
	}
	return live
}

func (m *Machine) sortedPeers() []*peer {
	ps := make([]*peer, 0, len(m.peers))
	for _, p := range m.peers {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].state.Node < ps[j].state.Node })
	return ps
}
