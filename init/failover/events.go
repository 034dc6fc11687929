package failover

import "time"

// Event is something the runtime tells the machine. The set is closed: one of
// the types below.
type Event interface {
	at() time.Time
}

// Tick drives timeouts; the runtime sends one every Timing.Interval.
type Tick struct{ Now time.Time }

// PeerHeard is an authenticated heartbeat from a peer on one path.
type PeerHeard struct {
	Now   time.Time
	Path  Path
	State PeerState
}

// PeerLeft is a peer's graceful leave: it is dead at once, not after
// DeadAfter. Node names the peer.
type PeerLeft struct {
	Now  time.Time
	Node string
}

// ProbeResult is the outcome of the ARP probe asked for by StartProbe with the
// same ID. Answered means some host replied for the VIP.
type ProbeResult struct {
	Now      time.Time
	ID       uint64
	Answered bool
}

// ForeignClaim: while Active, the runtime saw an ARP reply or gratuitous ARP
// for the VIP from another MAC. FromPeer is true when that MAC is a peer's data
// NIC; Peer then names it (empty: the only known peer).
type ForeignClaim struct {
	Now      time.Time
	FromPeer bool
	Peer     string
}

// HAProxyDown: the local HAProxy died or failed its health probe.
type HAProxyDown struct {
	Now    time.Time
	Reason string
}

// HAProxyUp: the local HAProxy is healthy (again).
type HAProxyUp struct{ Now time.Time }

// DataLink reports the data (VIP) link going up or down.
type DataLink struct {
	Now time.Time
	Up  bool
}

// OperatorStandby: hand the VIP over now and stay standby.
type OperatorStandby struct {
	Now time.Time
	// Reason is what the transition says; "operator standby" when empty
	// (the runtime says "shutting down" for its own handover).
	Reason string
}

// OperatorOnline clears operator standby, the ban and the fail count.
type OperatorOnline struct{ Now time.Time }

// VIPLost: the VIP address was removed from the interface while Active.
type VIPLost struct{ Now time.Time }

// HandoverRequested: a peer (From) sent a RequestHandover asking for the VIP.
type HandoverRequested struct {
	Now  time.Time
	From string
}

func (e Tick) at() time.Time              { return e.Now }
func (e PeerHeard) at() time.Time         { return e.Now }
func (e PeerLeft) at() time.Time          { return e.Now }
func (e ProbeResult) at() time.Time       { return e.Now }
func (e ForeignClaim) at() time.Time      { return e.Now }
func (e HAProxyDown) at() time.Time       { return e.Now }
func (e HAProxyUp) at() time.Time         { return e.Now }
func (e DataLink) at() time.Time          { return e.Now }
func (e OperatorStandby) at() time.Time   { return e.Now }
func (e OperatorOnline) at() time.Time    { return e.Now }
func (e VIPLost) at() time.Time           { return e.Now }
func (e HandoverRequested) at() time.Time { return e.Now }
