package heartbeat

import (
	"maps"
	"time"
)

// Reasons a received packet is dropped, the keys of PathStats.Dropped.
const (
	DropMalformed      = "malformed"       // not a heartbeat of this version, or truncated
	DropBadMAC         = "bad-mac"         // wrong key or tampered
	DropOtherCluster   = "other-cluster"   // authentic but for another cluster name
	DropOwnNode        = "own-node"        // claims to come from this node
	DropReplay         = "replay"          // sequence not newer than the last one heard on that path
	DropOldIncarnation = "old-incarnation" // from a previous life of the sender
)

// PathStats are the counters of one path.
type PathStats struct {
	Sent          uint64            // packets handed to the kernel
	SendErrors    uint64            // sends that failed (link down, no route, buffer full)
	LastSendError string            // the last send error, empty if none yet
	Received      uint64            // packets accepted
	Dropped       map[string]uint64 // rejected packets by reason (Drop* constants)
	LastHeard     time.Time         // when a packet was last accepted
	LastRTT       time.Duration     // last round-trip time measured, 0 if unknown
}

// Stats is a snapshot of the channel's counters.
type Stats struct {
	Paths           map[string]PathStats
	Incarnation     uint64 // this node's incarnation
	PayloadTooLarge uint64 // payloads over MaxPayload, sent as empty
	Overflow        uint64 // heard packets lost because Heard() was not drained
	SendPriority    string // scheduling the send thread got ("SCHED_FIFO 10", "nice -10", "normal")
	RecvPriority    string // same for the receive thread
	GOMAXPROCS      int    // as raised by Run (see reserveProcs)
}

// Stats returns a snapshot of the counters.
func (c *Channel) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.counters
	s.Paths = make(map[string]PathStats, len(c.paths))
	for _, p := range c.paths {
		ps := p.stats
		ps.Dropped = maps.Clone(ps.Dropped)
		s.Paths[p.name] = ps
	}
	return s
}
