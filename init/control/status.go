// Package control holds the one Status model every view reads, and the
// local control socket that serves it (`tandem status`, `standby`, `online`,
// `logs`).
package control

import "time"

// SchemaVersion is the version of the JSON Status object. It changes only
// when a field changes meaning or is removed; adding fields keeps it.
const SchemaVersion = 1

// Status is everything `tandem status` shows. docs/status.md documents it.
type Status struct {
	Schema  int       `json:"schema"`
	Updated time.Time `json:"updated"`
	Cluster string    `json:"cluster"`
	Node    string    `json:"node"`
	// Role is this node's role: active, standby, probing, banned or
	// starting.
	Role      string      `json:"role"`
	RoleSince time.Time   `json:"role_since"`
	Standby   bool        `json:"operator_standby"`
	Profile   string      `json:"profile"`
	Seed      string      `json:"seed"`
	Nodes     []Node      `json:"nodes"`
	VIPs      []VIP       `json:"vips"`
	HAProxy   HAProxy     `json:"haproxy"`
	Paths     []Path      `json:"heartbeat_paths"`
	Members   []Member    `json:"members"`
	Failovers []Failover  `json:"failovers"`
	Warnings  []string    `json:"warnings"`
	Uptime    Duration    `json:"uptime"`
	Runtime   RuntimeInfo `json:"runtime"`
}

// Node is one cluster node as this node sees it.
type Node struct {
	Name        string    `json:"name"`
	Self        bool      `json:"self"`
	Online      bool      `json:"online"`
	Role        string    `json:"role"`
	Eligible    bool      `json:"eligible"`
	FailCount   int       `json:"fail_count"`
	Banned      bool      `json:"banned"`
	Standby     bool      `json:"operator_standby"`
	LastSeen    time.Time `json:"last_seen"`
	Incarnation uint64    `json:"incarnation"`
}

// VIP is one virtual address and who holds it.
type VIP struct {
	Address   string    `json:"address"`
	Interface string    `json:"interface"`
	Holder    string    `json:"holder"`
	Since     time.Time `json:"since"`
}

// HAProxy is the local HAProxy service.
type HAProxy struct {
	State      string    `json:"state"`
	PID        int       `json:"pid"`
	WorkerPIDs []int     `json:"worker_pids"`
	Version    string    `json:"version"`
	ReadySince time.Time `json:"ready_since"`
	Restarts   int       `json:"restarts"`
	LastError  string    `json:"last_error"`
}

// Path is one heartbeat path to the peer.
type Path struct {
	Name      string    `json:"name"`
	Up        bool      `json:"up"`
	LastHeard time.Time `json:"last_heard"`
	RTT       Duration  `json:"rtt"`
	Sent      uint64    `json:"sent"`
	Received  uint64    `json:"received"`
	Dropped   uint64    `json:"dropped"`
}

// Member is one memberlist member.
type Member struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	State string `json:"state"`
}

// Failover is one role change, newest first in Status.Failovers.
type Failover struct {
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
}

// RuntimeInfo describes the tandem process itself.
type RuntimeInfo struct {
	PID       int    `json:"pid"`
	Version   string `json:"version"`
	RSSBytes  int64  `json:"rss_bytes"`
	Goroutine int    `json:"goroutines"`
}

// Duration is a time.Duration that reads as "1.5ms" in JSON and text.
type Duration time.Duration

// MarshalText renders the duration as Go's time.Duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a time.Duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}
