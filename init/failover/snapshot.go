package failover

import (
	"sort"
	"time"
)

// MaxTransitions is how many transitions Snapshot keeps.
const MaxTransitions = 20

// PeerStatus is what this node knows about one peer.
type PeerStatus struct {
	State PeerState
	// Alive: heard on some path within DeadAfter and not left.
	Alive bool
	// Left: the peer said goodbye (PeerLeft) and has not been heard since.
	Left bool
	// LastHeard per path (zero: never), for interlink health in status.
	LastHeard map[Path]time.Time
}

// Snapshot is the machine's state for `tandem status`.
type Snapshot struct {
	Node            string
	Incarnation     uint64
	Role            Role
	Since           time.Time
	Eligible        bool
	HAProxyHealthy  bool
	DataLinkUp      bool
	OperatorStandby bool
	Banned          bool
	BannedAt        time.Time
	FailCount       int
	LastFailure     string
	// Peers sorted by name.
	Peers []PeerStatus
	// Transitions, oldest first, at most MaxTransitions.
	Transitions []Transition
}

// Snapshot returns a copy of the state as of the last Step (liveness is
// evaluated at the time of the last event).
func (m *Machine) Snapshot() Snapshot {
	s := Snapshot{
		Node:            m.cfg.Node,
		Incarnation:     m.incarnation,
		Role:            m.role,
		Since:           m.since,
		Eligible:        m.eligible(),
		HAProxyHealthy:  m.haproxyUp,
		DataLinkUp:      m.linkUp,
		OperatorStandby: m.opStandby,
		Banned:          m.banned,
		BannedAt:        m.bannedAt,
		FailCount:       m.failCount,
		LastFailure:     m.lastFailure,
		Transitions:     append([]Transition(nil), m.history...),
	}
	for _, p := range m.peers {
		ps := PeerStatus{
			State:     p.state,
			Alive:     p.alive(m.now, m.t.DeadAfter),
			Left:      p.left,
			LastHeard: make(map[Path]time.Time, len(p.lastHeard)),
		}
		for k, v := range p.lastHeard {
			ps.LastHeard[k] = v
		}
		s.Peers = append(s.Peers, ps)
	}
	sort.Slice(s.Peers, func(i, j int) bool { return s.Peers[i].State.Node < s.Peers[j].State.Node })
	return s
}
