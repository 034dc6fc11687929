package failover

import "fmt"

// Role is what the node is doing with the VIP.
type Role int

const (
	// Standby: not holding the VIP.
	Standby Role = iota
	// Probing: wants the VIP and waits for the ARP probe of the VIP on the LAN.
	Probing
	// Active: holds the VIP.
	Active
)

func (r Role) String() string {
	switch r {
	case Standby:
		return "standby"
	case Probing:
		return "probing"
	case Active:
		return "active"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// Path is the network a heartbeat arrived on.
type Path string

// The two heartbeat paths.
const (
	PathInterlink Path = "interlink"
	PathLAN       Path = "lan"
)

// PeerState is what a node broadcasts about itself in every heartbeat.
type PeerState struct {
	Node string
	// Incarnation grows when the node restarts.
	Incarnation uint64
	// Version grows whenever any other field changes within one incarnation,
	// so a receiver can drop a heartbeat that was overtaken on the other path.
	Version   uint64
	Holds     bool // claims the VIP
	Eligible  bool
	Probing   bool
	Standby   bool // operator standby
	Banned    bool
	FailCount int
}

// sameContent compares everything but Version.
func (s PeerState) sameContent(o PeerState) bool {
	s.Version, o.Version = 0, 0
	return s == o
}

// Role is the role a broadcast state describes.
func (s PeerState) Role() Role {
	switch {
	case s.Holds:
		return Active
	case s.Probing:
		return Probing
	}
	return Standby
}
