package failover

import "time"

// peer is what the machine knows about one other node.
type peer struct {
	state     PeerState
	lastHeard map[Path]time.Time
	// left: graceful leave seen; heartbeats of the same incarnation that were
	// already in flight are ignored for DeadAfter after it.
	left    bool
	leftAt  time.Time
	leftInc uint64
	// announced: while both hold the VIP and we win the rule, we re-announced
	// once (the peer's gratuitous ARP moved clients to its MAC).
	announced bool
}

func newPeer() *peer { return &peer{lastHeard: make(map[Path]time.Time)} }

// alive: heard on any path within dead, and not left.
func (p *peer) alive(now time.Time, dead time.Duration) bool {
	if p.left {
		return false
	}
	for _, t := range p.lastHeard {
		if now.Sub(t) < dead {
			return true
		}
	}
	return false
}

// lastHeardAny is the latest time the peer was heard on any path.
func (p *peer) lastHeardAny() time.Time {
	var last time.Time
	for _, t := range p.lastHeard {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// accept reports whether a heartbeat should replace what we know: a lower
// incarnation is an older process, a lower version was overtaken on the other
// path, and a heartbeat of a peer that just left was sent before it left.
func (p *peer) accept(st PeerState, now time.Time, dead time.Duration) bool {
	if st.Incarnation < p.state.Incarnation {
		return false
	}
	if st.Incarnation == p.state.Incarnation && st.Version < p.state.Version {
		return false
	}
	if p.left && st.Incarnation == p.leftInc && now.Sub(p.leftAt) < dead {
		return false
	}
	return true
}
