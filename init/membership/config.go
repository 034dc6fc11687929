package membership

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultPort is memberlist's port when Config.Port is zero.
const DefaultPort = 7946

// keyLabel keeps the memberlist key distinct from every other key derived
// from the same secret (the heartbeat's).
const keyLabel = "tandem memberlist v1"

// Config describes this node's membership.
type Config struct {
	Cluster string       // cluster name, also memberlist's packet label
	Node    string       // this node's name
	Key     []byte       // the raw shared secret from the seed
	Bind    netip.Addr   // the interlink address
	Port    uint16       // DefaultPort if zero
	Peers   []netip.Addr // the other nodes' interlink addresses
	Fast    bool         // tighter probe and gossip timings
}

// rejoinEvery is how often a node that sees itself alone retries the peers.
const rejoinEvery = time.Second

func (c *Config) validate() error {
	switch {
	case c.Cluster == "" || len(c.Cluster) > 200:
		return errors.New("membership: cluster name must be 1..200 bytes")
	case c.Node == "" || len(c.Node) > 255:
		return errors.New("membership: node name must be 1..255 bytes")
	case len(c.Key) < 16:
		return errors.New("membership: key must be at least 16 bytes")
	case !c.Bind.IsValid():
		return errors.New("membership: no bind address")
	}
	for _, p := range c.Peers {
		if !p.IsValid() {
			return errors.New("membership: invalid peer address")
		}
	}
	return nil
}

// deriveKey turns the raw secret into memberlist's 32-byte (AES-256) key.
// The secret is never truncated or padded: HKDF takes it whole.
func deriveKey(secret []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, keyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("membership: derive key: %w", err)
	}
	return k, nil
}

// memberlistConfig tunes memberlist's LAN defaults for two nodes on a
// direct link: probes and gossip are cheap there, so they run often, and
// nobody else can confirm a suspicion, so the suspicion timeout is short.
func memberlistConfig(c Config, key []byte) *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.Node
	mc.Label = "tandem/" + c.Cluster
	mc.BindAddr = c.Bind.Unmap().String()
	mc.BindPort = int(c.port())
	mc.AdvertiseAddr = mc.BindAddr
	mc.AdvertisePort = mc.BindPort
	mc.SecretKey = key
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	mc.EnableCompression = false // tiny messages

	mc.ProbeInterval = 500 * time.Millisecond
	mc.ProbeTimeout = 250 * time.Millisecond
	mc.SuspicionMult = 3
	mc.SuspicionMaxTimeoutMult = 2
	mc.GossipInterval = 50 * time.Millisecond // a leave reaches the peer within one interval
	mc.GossipNodes = 2
	mc.GossipToTheDeadTime = 5 * time.Second
	mc.RetransmitMult = 3
	mc.PushPullInterval = 15 * time.Second
	mc.TCPTimeout = 2 * time.Second
	mc.DeadNodeReclaimTime = 10 * time.Second // a replaced node may come back with a new address
	if c.Fast {
		mc.ProbeInterval = 200 * time.Millisecond
		mc.ProbeTimeout = 100 * time.Millisecond
		mc.SuspicionMult = 2
		mc.GossipInterval = 20 * time.Millisecond
		mc.TCPTimeout = time.Second
	}
	return mc
}

func (c *Config) port() uint16 {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}
