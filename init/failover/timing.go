package failover

import "time"

// Timing holds every duration the machine uses. Zero fields are filled in by
// New from Interval and DeadAfter (see withDefaults).
type Timing struct {
	// Interval is how often the runtime sends a heartbeat and a Tick.
	Interval time.Duration
	// DeadAfter: a peer not heard on any path for this long is dead.
	DeadAfter time.Duration
	// StartupWait: after start, a node that has not heard any peer waits this
	// long before deciding it is alone, so two nodes booting together do not
	// both take the VIP.
	StartupWait time.Duration
	// ProbeRetry is the back-off after an ARP probe was answered or an unknown
	// host claimed the VIP: somebody holds it, so probing again sooner only
	// floods the LAN.
	ProbeRetry time.Duration
	// ProbeTimeout aborts a probe whose result never arrived.
	ProbeTimeout time.Duration
	// BanClearAfter: a banned node's ban clears once HAProxy has been healthy
	// continuously for this long.
	BanClearAfter time.Duration
}

// DefaultTiming is for real deployments.
//
//   - Interval 50ms, DeadAfter 300ms: six heartbeats may be lost on every path
//     before the peer is declared dead; failover in about a third of a second.
//   - StartupWait 600ms (2*DeadAfter): a booting node hears a live peer within
//     one Interval; twice the dead timeout tolerates a few lost heartbeats and a
//     peer whose heartbeat starts slightly later.
//   - ProbeRetry 1s (>3*DeadAfter): an answered probe means someone holds the
//     VIP; if that was our peer whose heartbeats were lost, it gets several dead
//     timeouts to be heard again before we ask the LAN again.
//   - ProbeTimeout 1s: the runtime's ARP probe (a few requests tens of ms apart)
//     normally finishes in well under that; a lost result must not wedge us.
//   - BanClearAfter 10s: a HAProxy that crash-loops within ten seconds of
//     starting stays banned instead of pulling the VIP back and forth.
func DefaultTiming() Timing {
	return Timing{
		Interval:      50 * time.Millisecond,
		DeadAfter:     300 * time.Millisecond,
		StartupWait:   600 * time.Millisecond,
		ProbeRetry:    time.Second,
		ProbeTimeout:  time.Second,
		BanClearAfter: 10 * time.Second,
	}
}

// FastTiming is DefaultTiming scaled down for tests in network namespaces and
// simulation: the same ratios where they matter (DeadAfter = 5 Intervals,
// StartupWait = 2*DeadAfter, ProbeRetry = 4*DeadAfter).
func FastTiming() Timing {
	return Timing{
		Interval:      5 * time.Millisecond,
		DeadAfter:     25 * time.Millisecond,
		StartupWait:   50 * time.Millisecond,
		ProbeRetry:    100 * time.Millisecond,
		ProbeTimeout:  100 * time.Millisecond,
		BanClearAfter: 200 * time.Millisecond,
	}
}

// withDefaults fills zero fields so a caller may set only Interval/DeadAfter.
func (t Timing) withDefaults() Timing {
	d := DefaultTiming()
	if t.Interval <= 0 {
		t.Interval = d.Interval
	}
	if t.DeadAfter <= 0 {
		t.DeadAfter = 6 * t.Interval
	}
	if t.StartupWait <= 0 {
		t.StartupWait = 2 * t.DeadAfter
	}
	if t.ProbeRetry <= 0 {
		t.ProbeRetry = 4 * t.DeadAfter
	}
	if t.ProbeTimeout <= 0 {
		t.ProbeTimeout = 4 * t.DeadAfter
	}
	if t.BanClearAfter <= 0 {
		t.BanClearAfter = 200 * t.Interval
	}
	return t
}
