package control

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Render writes the status as text for an operator: what `crm_mon -1`
// shows, and the heartbeat, HAProxy and failover detail it does not.
func Render(w io.Writer, s Status) {
	now := s.Updated
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := now.Sub(t)
		if d < 0 { // a heartbeat that landed while the status was taken
			d = 0
		}
		return t.Format("15:04:05.000") + " (" + round(d) + " ago)"
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

	p("Cluster: %s    Node: %s    Role: %s since %s", s.Cluster, s.Node, strings.ToUpper(s.Role), ago(s.RoleSince))
	p("Stack: tandem %s, profile %s, seed %s", s.Runtime.Version, s.Profile, s.Seed)
	p("Last updated: %s    Uptime: %s", now.Format(time.RFC3339), round(time.Duration(s.Uptime)))
	if s.Standby {
		p("Operator standby: this node will not take the VIPs (tandem online clears it)")
	}
	p("")
	var online, offline []string
	for _, n := range s.Nodes {
		if n.Online {
			online = append(online, n.Name)
		} else {
			offline = append(offline, n.Name)
		}
	}
	p("%d nodes configured, %d VIP(s) configured", len(s.Nodes), len(s.VIPs))
	p("Online: [ %s ]", strings.Join(online, " "))
	if len(offline) > 0 {
		p("OFFLINE: [ %s ]", strings.Join(offline, " "))
	}
	p("")
	p("VIPs:")
	for _, v := range s.VIPs {
		holder := v.Holder
		if holder == "" {
			holder = "NOBODY"
		}
		p("  %-22s on %-8s held by %s since %s", v.Address, v.Interface, holder, ago(v.Since))
	}
	p("")
	h := s.HAProxy
	p("HAProxy: %s, pid %d, workers %v, %s", h.State, h.PID, h.WorkerPIDs, h.Version)
	p("  ready since %s, restarts %d", ago(h.ReadySince), h.Restarts)
	if s.Role != "active" && h.State == "ready" {
		p("  standby readiness: running and bound to the VIPs (ip_nonlocal_bind); a takeover only moves the address")
	}
	if h.LastError != "" {
		p("  last error: %s", h.LastError)
	}
	p("")
	p("Heartbeat paths:")
	for _, hp := range s.Paths {
		state := "up"
		if !hp.Up {
			state = "DOWN"
		}
		p("  %-10s %-4s last heartbeat %s, rtt %s, sent %d, received %d, dropped %d",
			hp.Name, state, ago(hp.LastHeard), time.Duration(hp.RTT), hp.Sent, hp.Received, hp.Dropped)
	}
	if len(s.Members) > 0 {
		var ms []string
		for _, m := range s.Members {
			ms = append(ms, fmt.Sprintf("%s@%s (%s)", m.Name, m.Addr, m.State))
		}
		p("  membership: %s", strings.Join(ms, ", "))
	}
	p("")
	p("Fail counts and bans:")
	for _, n := range s.Nodes {
		ban := ""
		if n.Banned {
			ban = ", BANNED until HAProxy is healthy again or `tandem online`"
		}
		p("  %-12s fail count %d%s", n.Name, n.FailCount, ban)
	}
	p("")
	p("Last failovers:")
	if len(s.Failovers) == 0 {
		p("  none")
	}
	for _, f := range s.Failovers {
		p("  %s  %-10s %s -> %s: %s", f.At.Format("2006-01-02 15:04:05.000"), f.Node, f.From, f.To, f.Reason)
	}
	for _, warn := range s.Warnings {
		p("WARNING: %s", warn)
	}
}

func round(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
