// Package seed reads a node's firstboot seed (one TOML file), validates it
// strictly and turns it into the one typed Config that every other part of
// tandem acts on. No other package reads the TOML.
package seed

import (
	"net"
	"net/netip"
	"time"
)

// Config is a validated seed.
type Config struct {
	// Source is the path the seed was read from.
	Source    string
	Node      Node
	Interlink Interlink
	// Interfaces are the data NICs, in seed order.
	Interfaces []Interface
	VIPs       []VIP
	Failover   Failover
	HAProxy    HAProxy
	Hosts      []HostEntry

	// pos places key paths in the source, for problems found later (a pair
	// check).
	pos positions
}

// Node identifies this node and its cluster.
type Node struct {
	Name    string
	Cluster string
	// Key is the shared heartbeat secret. Consumers derive their own keys
	// from it; it is never used raw.
	Key string
}

// Match says which NIC a seed entry means: by MAC when given, else by name.
// Name is always set: it is the name tandem gives the NIC.
type Match struct {
	Name string
	MAC  net.HardwareAddr
}

// Interlink is the dedicated heartbeat link to the peer.
type Interlink struct {
	Match
	Address netip.Prefix
	Peers   []netip.Addr
	MTU     int
}

// Interface is a data NIC.
type Interface struct {
	Match
	Addresses []netip.Prefix
	DHCP      bool
	Gateway   netip.Addr
	MTU       int
	DNS       []netip.Addr
}

// VIP is a virtual address that follows the active node.
type VIP struct {
	Address   netip.Prefix
	Interface string
}

// Failover is the policy for moving the VIPs.
type Failover struct {
	Failback           bool
	Preferred          string
	MigrationThreshold int
	Profile            Profile
	// LANPeers are the peer's data-LAN addresses for the second heartbeat
	// path. Empty means the broadcast address of each VIP interface.
	LANPeers []netip.Addr
}

// Profile names a heartbeat timing profile.
type Profile string

// The heartbeat timing profiles.
const (
	ProfileDefault Profile = "default"
	ProfileFast    Profile = "fast"
)

// HAProxy holds the operator's HAProxy configuration.
type HAProxy struct {
	// File is the absolute path of the configuration file, or empty when
	// the configuration was given inline.
	File string
	// Config is the configuration text, read from File or inline.
	Config string
}

// HostEntry is one extra /etc/hosts line.
type HostEntry struct {
	Address netip.Addr
	Names   []string
}

// Defaults applied when a key is absent.
const (
	DefaultMigrationThreshold = 1
	MinKeyLength              = 16
	HAProxyCheckTimeout       = 10 * time.Second
)

// Interface returns the data interface with the given name.
func (c *Config) Interface(name string) (Interface, bool) {
	for _, i := range c.Interfaces {
		if i.Name == name {
			return i, true
		}
	}
	return Interface{}, false
}
