package failover

import "time"

// Action is something the runtime must do. The set is closed: one of the types
// below. Within one Step, actions are in the order they must be executed.
type Action interface {
	action()
}

// StartProbe: ARP-probe the VIP on the data LAN and report ProbeResult with
// this ID.
type StartProbe struct{ ID uint64 }

// AcquireVIP: add the VIP (if missing) and announce it with gratuitous ARP.
// Idempotent; while already Active it means "re-add and re-announce".
type AcquireVIP struct{}

// ReleaseVIP: remove the VIP from the interface.
type ReleaseVIP struct{}

// RequestHandover: ask peer To (the current holder) to hand the VIP over; the
// peer's runtime delivers it as HandoverRequested. Repeated every Interval
// while the conditions hold, so a lost request is not fatal.
type RequestHandover struct{ To string }

// Broadcast: send a heartbeat with State now instead of at the next interval.
type Broadcast struct{ State PeerState }

// Transition: the role changed. The runtime logs it; the machine also keeps
// the last MaxTransitions in its Snapshot.
type Transition struct {
	From, To Role
	Reason   string
	At       time.Time
}

func (StartProbe) action()      {}
func (AcquireVIP) action()      {}
func (ReleaseVIP) action()      {}
func (RequestHandover) action() {}
func (Broadcast) action()       {}
func (Transition) action()      {}
