package heartbeat

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// DefaultPort is the UDP port heartbeats use when Config.Port is zero.
const DefaultPort = 7947

// Profile pairs a send interval with the silence after which the caller
// should consider the peer dead.
type Profile struct {
	Interval  time.Duration
	DeadAfter time.Duration
}

var (
	// DefaultProfile: a heartbeat every 50 ms, the peer dead after 300 ms.
	DefaultProfile = Profile{Interval: 50 * time.Millisecond, DeadAfter: 300 * time.Millisecond}
	// FastProfile: a heartbeat every 5 ms, the peer dead after 20 ms.
	FastProfile = Profile{Interval: 5 * time.Millisecond, DeadAfter: 20 * time.Millisecond}
)

// Config describes one node's heartbeat channel.
type Config struct {
	Cluster  string        // cluster name; packets of other clusters are dropped
	Node     string        // this node's name
	Key      []byte        // the raw shared secret from the seed
	Port     uint16        // UDP port, DefaultPort if zero
	Interval time.Duration // send interval, DefaultProfile.Interval if zero
	Paths    []Path
}

// Path is one network path heartbeats are sent and received on.
type Path struct {
	Name   string       // "interlink" or "lan"; must match on both nodes
	Device string       // bind to this device (SO_BINDTODEVICE); empty: no binding
	Local  netip.Addr   // local address to bind
	Peers  []netip.Addr // peer addresses on this path
}

// Limits of the wire format.
const (
	maxNameLen = 255
	// MaxPayload is the largest payload sent; a larger one is replaced by an
	// empty payload (and counted) so liveness never depends on its size.
	MaxPayload = 1024
)

func (c *Config) withDefaults() Config {
	out := *c
	if out.Port == 0 {
		out.Port = DefaultPort
	}
	if out.Interval == 0 {
		out.Interval = DefaultProfile.Interval
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.Cluster == "" || len(c.Cluster) > maxNameLen:
		return fmt.Errorf("heartbeat: cluster name must be 1..%d bytes", maxNameLen)
	case c.Node == "" || len(c.Node) > maxNameLen:
		return fmt.Errorf("heartbeat: node name must be 1..%d bytes", maxNameLen)
	case len(c.Key) < 16:
		return errors.New("heartbeat: key must be at least 16 bytes")
	case c.Interval < time.Millisecond:
		return fmt.Errorf("heartbeat: interval %s is below 1ms", c.Interval)
	case len(c.Paths) == 0:
		return errors.New("heartbeat: no paths")
	}
	seen := map[string]bool{}
	for _, p := range c.Paths {
		if p.Name == "" || len(p.Name) > maxNameLen {
			return fmt.Errorf("heartbeat: path name must be 1..%d bytes", maxNameLen)
		}
		if seen[p.Name] {
			return fmt.Errorf("heartbeat: duplicate path %q", p.Name)
		}
		seen[p.Name] = true
		if !p.Local.IsValid() {
			return fmt.Errorf("heartbeat: path %s: no local address", p.Name)
		}
		if len(p.Peers) == 0 {
			return fmt.Errorf("heartbeat: path %s: no peers", p.Name)
		}
		for _, peer := range p.Peers {
			if !peer.IsValid() || peer.Unmap().Is4() != p.Local.Unmap().Is4() {
				return fmt.Errorf("heartbeat: path %s: peer %s is not of the local address family (%s)", p.Name, peer, p.Local)
			}
		}
	}
	return nil
}
