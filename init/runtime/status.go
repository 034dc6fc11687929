package runtime

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"tandem/init/control"
	"tandem/init/failover"
)

// Version is tandem's version, set at build time with -ldflags.
var Version = "dev"

// status builds the one Status model from the parts' snapshots.
func (n *node) status() control.Status {
	now := time.Now()
	e := n.engine
	e.mu.Lock()
	snap := e.snap
	peerHolds := make(map[string]time.Time, len(e.peerHolds))
	for k, v := range e.peerHolds {
		peerHolds[k] = v
	}
	e.mu.Unlock()

	c := n.cfg
	s := control.Status{
		Schema:    control.SchemaVersion,
		Updated:   now,
		Cluster:   c.Node.Cluster,
		Node:      c.Node.Name,
		Role:      roleName(snap.Role, snap.Banned),
		RoleSince: snap.Since,
		Standby:   snap.OperatorStandby,
		Profile:   string(c.Failover.Profile),
		Seed:      n.seedSource,
		Uptime:    control.Duration(now.Sub(n.started)),
		Runtime: control.RuntimeInfo{PID: os.Getpid(), Version: Version,
			RSSBytes: rss(), Goroutine: runtime.NumGoroutine()},
	}
	s.Nodes = append(s.Nodes, control.Node{
		Name: c.Node.Name, Self: true, Online: true, Role: s.Role, Eligible: snap.Eligible,
		FailCount: snap.FailCount, Banned: snap.Banned, Standby: snap.OperatorStandby,
		LastSeen: now, Incarnation: snap.Incarnation,
	})
	holder, since := "", time.Time{}
	if snap.Role == failover.Active {
		holder, since = c.Node.Name, snap.Since
	}
	for _, p := range snap.Peers {
		last := time.Time{}
		for _, t := range p.LastHeard {
			if t.After(last) {
				last = t
			}
		}
		st := p.State
		s.Nodes = append(s.Nodes, control.Node{
			Name: st.Node, Online: p.Alive, Role: roleName(st.Role(), st.Banned), Eligible: st.Eligible,
			FailCount: st.FailCount, Banned: st.Banned, Standby: st.Standby,
			LastSeen: last, Incarnation: st.Incarnation,
		})
		if p.Alive && st.Holds && holder == "" {
			holder, since = st.Node, peerHolds[st.Node]
		}
	}
	if len(snap.Peers) == 0 {
		for _, name := range n.peerNames() {
			s.Nodes = append(s.Nodes, control.Node{Name: name})
		}
	}
	for _, v := range c.VIPs {
		s.VIPs = append(s.VIPs, control.VIP{Address: v.Address.String(), Interface: v.Interface, Holder: holder, Since: since})
	}
	s.HAProxy = n.haproxyStatus()
	s.Paths = n.pathStatus()
	if n.members != nil {
		for _, m := range n.members.Members() {
			s.Members = append(s.Members, control.Member{Name: m.Name, Addr: m.Addr.String(), State: m.State})
		}
	}
	for i := len(snap.Transitions) - 1; i >= 0; i-- {
		t := snap.Transitions[i]
		s.Failovers = append(s.Failovers, control.Failover{At: t.At, Node: c.Node.Name,
			From: t.From.String(), To: t.To.String(), Reason: t.Reason})
	}
	s.Warnings = n.warnings()
	return s
}

func roleName(r failover.Role, banned bool) string {
	if banned && r != failover.Active {
		return "banned"
	}
	return r.String()
}

// peerNames are the names the peers are known by before any heartbeat:
// from memberlist, else their interlink addresses.
func (n *node) peerNames() []string {
	var out []string
	for _, p := range n.cfg.Interlink.Peers {
		out = append(out, p.String())
	}
	return out
}

func (n *node) pathStatus() []control.Path {
	stats := n.hb.Stats()
	names := make([]string, 0, len(stats.Paths))
	for name := range stats.Paths {
		names = append(names, name)
	}
	sort.Strings(names)
	dead := n.engine.m.Timing().DeadAfter
	var out []control.Path
	for _, name := range names {
		ps := stats.Paths[name]
		var dropped uint64
		for _, d := range ps.Dropped {
			dropped += d
		}
		out = append(out, control.Path{
			Name: name, Up: !ps.LastHeard.IsZero() && time.Since(ps.LastHeard) < dead,
			LastHeard: ps.LastHeard, RTT: control.Duration(ps.LastRTT),
			Sent: ps.Sent, Received: ps.Received, Dropped: dropped,
		})
	}
	return out
}

// rss reads this process's resident memory from /proc.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func (n *node) haproxyStatus() control.HAProxy {
	st := n.haproxy.svc.Status()
	return control.HAProxy{State: st.State, PID: st.PID, WorkerPIDs: st.WorkerPIDs, Version: st.Version,
		ReadySince: st.ReadySince, Restarts: st.Restarts, LastError: st.LastError}
}

func (n *node) warnings() []string {
	var out []string
	if n.members == nil {
		out = append(out, "membership (memberlist) is not running: no graceful leaves or failback requests")
	}
	for name, ps := range n.hb.Stats().Paths {
		if ps.LastSendError != "" && ps.SendErrors > 0 && time.Since(ps.LastHeard) > time.Second {
			out = append(out, "heartbeat path "+name+": "+ps.LastSendError)
		}
	}
	sort.Strings(out)
	return out
}
