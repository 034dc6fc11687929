package haproxy

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"tandem/init/supervise"
)

// Defaults for a zero Config.
const (
	DefaultBinary        = "/usr/sbin/haproxy"
	DefaultPeerPort      = 10000
	DefaultProbeInterval = 100 * time.Millisecond
	DefaultProbeTimeout  = 100 * time.Millisecond
	DefaultProbeFailures = 3
	DefaultStartTimeout  = 10 * time.Second
	DefaultStopTimeout   = 10 * time.Second
	// HealthPath is the monitor-uri of the generated health frontend.
	HealthPath = "/tandem/health"
	// PeersSection is the peers section name user stick tables refer to.
	PeersSection = "peers tandem"
)

// DefaultHealthAddr is where the health frontend listens by default.
var DefaultHealthAddr = netip.MustParseAddrPort("127.0.0.1:8405")

// Peer is one node of the HAProxy peers section.
type Peer struct {
	Name string
	Addr netip.AddrPort // port 0 means DefaultPeerPort
}

// Probe tunes hang detection: a GET of the health endpoint every Interval,
// each with Timeout; Failures consecutive failures mean hung.
type Probe struct {
	Interval time.Duration
	Timeout  time.Duration
	Failures int
}

// Config describes the HAProxy service.
type Config struct {
	Binary     string // default DefaultBinary
	UserConfig string // the operator's haproxy.cfg
	RunDir     string // sockets, generated config, pid file
	LocalPeer  string // this node's name in Peers (-L)
	Peers      []Peer // both nodes, over the interlink; may be empty
	HealthAddr netip.AddrPort
	LogSocket  string          // unixgram syslog socket; empty: no log line
	Ring       *supervise.Ring // HAProxy's stdout/stderr; may be nil

	Probe        Probe
	StartTimeout time.Duration // Start to health 200, default 10s
	StopTimeout  time.Duration // per escalation step, default 10s
	Backoff      supervise.Backoff
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Binary == "" {
		c.Binary = DefaultBinary
	}
	if !c.HealthAddr.IsValid() {
		c.HealthAddr = DefaultHealthAddr
	}
	if c.Probe.Interval <= 0 {
		c.Probe.Interval = DefaultProbeInterval
	}
	if c.Probe.Timeout <= 0 {
		c.Probe.Timeout = DefaultProbeTimeout
	}
	if c.Probe.Failures <= 0 {
		c.Probe.Failures = DefaultProbeFailures
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	peers := make([]Peer, len(c.Peers))
	for i, p := range c.Peers {
		if p.Addr.Port() == 0 {
			p.Addr = netip.AddrPortFrom(p.Addr.Addr(), DefaultPeerPort)
		}
		peers[i] = p
	}
	c.Peers = peers
	return c, c.validate()
}

func (c Config) validate() error {
	if c.UserConfig == "" {
		return errors.New("haproxy: config: UserConfig is empty")
	}
	if c.RunDir == "" || !filepath.IsAbs(c.RunDir) {
		return fmt.Errorf("haproxy: config: RunDir %q must be an absolute path", c.RunDir)
	}
	for what, v := range map[string]string{"UserConfig": c.UserConfig, "RunDir": c.RunDir, "LogSocket": c.LogSocket, "Binary": c.Binary} {
		if strings.ContainsAny(v, " \t\r\n#,\\'\"") {
			return fmt.Errorf("haproxy: config: %s %q contains a character HAProxy config cannot take unquoted", what, v)
		}
	}
	// The master CLI socket path must fit in sun_path (108 bytes).
	if n := len(filepath.Join(c.RunDir, "master.sock")); n > 107 {
		return fmt.Errorf("haproxy: config: RunDir %q too long for a unix socket path", c.RunDir)
	}
	if c.LocalPeer != "" && !validName(c.LocalPeer) {
		return fmt.Errorf("haproxy: config: LocalPeer %q is not a valid HAProxy name", c.LocalPeer)
	}
	seen := map[string]bool{}
	local := false
	for _, p := range c.Peers {
		if !validName(p.Name) {
			return fmt.Errorf("haproxy: config: peer name %q is not a valid HAProxy name", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("haproxy: config: peer %q listed twice", p.Name)
		}
		seen[p.Name] = true
		if !p.Addr.Addr().IsValid() {
			return fmt.Errorf("haproxy: config: peer %q has no address", p.Name)
		}
		local = local || p.Name == c.LocalPeer
	}
	if len(c.Peers) > 0 && !local {
		return fmt.Errorf("haproxy: config: LocalPeer %q is not among the peers", c.LocalPeer)
	}
	if !c.HealthAddr.Addr().IsValid() || c.HealthAddr.Port() == 0 {
		return fmt.Errorf("haproxy: config: HealthAddr %v needs an address and a port", c.HealthAddr)
	}
	return nil
}

// validName accepts HAProxy identifiers: letters, digits, '-', '_', '.', ':'.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

// Paths inside RunDir.
func (c Config) generatedPath() string { return filepath.Join(c.RunDir, "tandem.cfg") }
func (c Config) masterSocket() string  { return filepath.Join(c.RunDir, "master.sock") }
func (c Config) statsSocket() string   { return filepath.Join(c.RunDir, "stats.sock") }
func (c Config) pidFile() string       { return filepath.Join(c.RunDir, "haproxy.pid") }
