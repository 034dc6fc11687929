package failover

import (
	"strings"
	"testing"
	"time"
)

// peerB is the usual peer: eligible, not holding.
func peerB() PeerState { return PeerState{Node: "b", Eligible: true} }

// ruleCase is one rule: a setup driving the machine, then expectations about
// the last step.
type ruleCase struct {
	name     string
	cfg      Config // Node defaults to "a"
	run      func(h *harness)
	role     Role
	want     []string // action kinds that must be in the last step
	not      []string // action kinds that must not be in the last step
	reason   string   // substring of the last step's transition reason
	snapshot func(t *testing.T, s Snapshot)
}

func TestRules(t *testing.T) {
	ft := FastTiming()
	cases := []ruleCase{
		{
			name: "startup hold: alone, before StartupWait stays standby",
			run:  func(h *harness) { h.advance(ft.StartupWait - time.Millisecond) },
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "startup hold: alone after StartupWait probes",
			run:  func(h *harness) { h.advance(ft.StartupWait) },
			role: Probing, want: []string{"Transition", "StartProbe", "Broadcast"},
			reason: "no peer heard within the startup wait",
		},
		{
			name: "probe unanswered acquires",
			run:  func(h *harness) { h.activate() },
			role: Active, want: []string{"AcquireVIP", "Broadcast"}, reason: "ARP probe unanswered",
		},
		{
			name: "probe answered goes back to standby with the spec's reason",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				sp, _ := find[StartProbe](h.last)
				h.step(ProbeResult{ID: sp.ID, Answered: true})
			},
			role: Standby, not: []string{"AcquireVIP"}, reason: ReasonProbeAnswered,
		},
		{
			name: "after an answered probe, no retry before ProbeRetry",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				sp, _ := find[StartProbe](h.last)
				h.step(ProbeResult{ID: sp.ID, Answered: true})
				h.advance(ft.ProbeRetry - time.Millisecond)
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "after an answered probe, retry at ProbeRetry",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				sp, _ := find[StartProbe](h.last)
				h.step(ProbeResult{ID: sp.ID, Answered: true})
				h.advance(ft.ProbeRetry)
			},
			role: Probing, want: []string{"StartProbe"},
		},
		{
			name: "stale probe result (old ID) is ignored",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				sp, _ := find[StartProbe](h.last)
				h.step(ProbeResult{ID: sp.ID + 7})
			},
			role: Probing, not: []string{"AcquireVIP"},
		},
		{
			name: "probe times out",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				h.advance(ft.ProbeTimeout)
			},
			role: Standby, reason: "probe timed out",
		},
		{
			name: "probing aborts when the peer claims the VIP",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				h.hear(PathLAN, PeerState{Node: "b", Eligible: true, Holds: true})
			},
			role: Standby, reason: "probe aborted: peer b claims the VIP",
		},
		{
			name: "probing aborts when no longer eligible",
			run: func(h *harness) {
				h.advance(ft.StartupWait)
				h.step(DataLink{Up: false})
			},
			role: Standby, reason: "probe aborted: data link down",
		},
		{
			name: "peer heard holding: standby stays standby",
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				for range 20 {
					h.hear(PathInterlink, st)
					h.advance(ft.Interval)
				}
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "(a) peer dead after DeadAfter: probe",
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				h.hear(PathInterlink, st)
				h.hear(PathLAN, st)
				h.advance(ft.DeadAfter)
			},
			role: Probing, want: []string{"StartProbe"}, reason: "peer b dead",
		},
		{
			name: "peer silent just under DeadAfter is still alive",
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				h.hear(PathInterlink, st)
				h.advance(ft.DeadAfter - time.Millisecond)
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "interlink cut, LAN still heard: peer alive, no probe",
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				h.hear(PathInterlink, st)
				for range 30 {
					h.advance(ft.Interval)
					h.hear(PathLAN, st)
				}
			},
			role: Standby, not: []string{"StartProbe"},
			snapshot: func(t *testing.T, s Snapshot) {
				if len(s.Peers) != 1 || !s.Peers[0].Alive {
					t.Fatalf("peer not alive in snapshot: %+v", s.Peers)
				}
				il, lan := s.Peers[0].LastHeard[PathInterlink], s.Peers[0].LastHeard[PathLAN]
				if !lan.After(il.Add(ft.DeadAfter)) {
					t.Errorf("last heard interlink %v lan %v: want interlink stale", il, lan)
				}
			},
		},
		{
			name: "graceful leave: probe at once, no dead timeout",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				h.hear(PathInterlink, st)
				st.Holds = false
				h.hear(PathInterlink, st)
				h.step(PeerLeft{Node: "b"})
			},
			role: Probing, want: []string{"StartProbe"}, reason: "peer b left",
		},
		{
			name: "heartbeat in flight after a leave does not revive the peer",
			run: func(h *harness) {
				st := peerB()
				st.Holds = true
				h.hear(PathInterlink, st)
				h.step(PeerLeft{Node: "b"})
				h.hear(PathLAN, st)
			},
			role: Probing,
		},
		{
			name: "(b) peer alive, gave up (operator standby): probe at once",
			cfg:  Config{Node: "z"}, // even though "b" < "z"
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Standby: true})
			},
			role: Probing, want: []string{"StartProbe"}, reason: "peer b gave up the VIP (operator standby)",
		},
		{
			name: "(b) peer alive, banned: probe at once",
			cfg:  Config{Node: "z"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Banned: true, FailCount: 1})
			},
			role: Probing, reason: "peer b gave up the VIP (banned)",
		},
		{
			name: "(b) peer probing: wait for it",
			cfg:  Config{Node: "a"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Probing: true})
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "(d) tie-break, no preferred: lower name probes",
			cfg:  Config{Node: "a"},
			run:  func(h *harness) { h.hear(PathInterlink, peerB()) },
			role: Probing, reason: "tie-break: lowest node name",
		},
		{
			name: "(d) tie-break, no preferred: higher name waits",
			cfg:  Config{Node: "c"},
			run:  func(h *harness) { h.hear(PathInterlink, peerB()); h.advance(ft.Interval) },
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "(d) tie-break: preferred node probes even with the higher name",
			cfg:  Config{Node: "c", Preferred: "c"},
			run:  func(h *harness) { h.hear(PathInterlink, peerB()) },
			role: Probing, reason: "tie-break: preferred node",
		},
		{
			name: "(d) tie-break: non-preferred lower name waits",
			cfg:  Config{Node: "a", Preferred: "b"},
			run:  func(h *harness) { h.hear(PathInterlink, peerB()); h.advance(ft.Interval) },
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "(c) failback: preferred standby asks the holder",
			cfg:  Config{Node: "c", Preferred: "c", Failback: true},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Holds: true})
			},
			role: Standby, want: []string{"RequestHandover"}, not: []string{"StartProbe"},
		},
		{
			name: "(c) failback request is repeated no faster than Interval",
			cfg:  Config{Node: "c", Preferred: "c", Failback: true},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Holds: true})
				h.advance(ft.Interval / 2)
			},
			role: Standby, not: []string{"RequestHandover"},
		},
		{
			name: "(c) failback off: preferred standby leaves the holder alone",
			cfg:  Config{Node: "c", Preferred: "c"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Holds: true})
			},
			role: Standby, not: []string{"RequestHandover", "StartProbe"},
		},
		{
			name: "(c) failback: holder releases to an eligible preferred requester",
			cfg:  Config{Node: "a", Preferred: "b", Failback: true},
			run: func(h *harness) {
				h.activate()
				h.hear(PathInterlink, peerB())
				h.step(HandoverRequested{From: "b"})
			},
			role: Standby, want: []string{"ReleaseVIP", "Broadcast"}, reason: "handover to preferred node b",
		},
		{
			name: "(c) failback: the new standby does not re-probe against the preferred requester",
			cfg:  Config{Node: "a", Preferred: "b", Failback: true},
			run: func(h *harness) {
				h.activate()
				h.hear(PathInterlink, peerB())
				h.step(HandoverRequested{From: "b"})
				h.advance(ft.Interval)
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "(c) failback: ineligible requester is refused",
			cfg:  Config{Node: "a", Preferred: "b", Failback: true},
			run: func(h *harness) {
				h.activate()
				h.hear(PathInterlink, PeerState{Node: "b", Banned: true})
				h.step(HandoverRequested{From: "b"})
			},
			role: Active, not: []string{"ReleaseVIP"},
		},
		{
			name: "(c) failback off: handover request refused",
			cfg:  Config{Node: "a", Preferred: "b"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathInterlink, peerB())
				h.step(HandoverRequested{From: "b"})
			},
			role: Active, not: []string{"ReleaseVIP"},
		},
		{
			name: "(c) request from a non-preferred node refused",
			cfg:  Config{Node: "a", Failback: true},
			run: func(h *harness) {
				h.activate()
				h.hear(PathInterlink, peerB())
				h.step(HandoverRequested{From: "b"})
			},
			role: Active, not: []string{"ReleaseVIP"},
		},
		{
			name: "stickiness: active keeps the VIP when the preferred peer returns (no failback)",
			cfg:  Config{Node: "a", Preferred: "b"},
			run: func(h *harness) {
				h.activate()
				for range 100 {
					h.hear(PathInterlink, peerB())
					h.advance(ft.Interval)
				}
			},
			role: Active, not: []string{"ReleaseVIP"},
		},
		{
			name: "HAProxy failure (threshold 1): banned, releases",
			run:  func(h *harness) { h.activate(); h.step(HAProxyDown{Reason: "exited 1"}) },
			role: Standby, want: []string{"ReleaseVIP", "Broadcast"}, reason: "banned after 1 HAProxy failure(s), last: exited 1",
			snapshot: func(t *testing.T, s Snapshot) {
				if !s.Banned || s.FailCount != 1 || s.Eligible {
					t.Errorf("snapshot %+v: want banned, fail count 1, not eligible", s)
				}
			},
		},
		{
			name: "HAProxy failure under the threshold: releases (cannot serve) but not banned",
			cfg:  Config{Node: "a", MigrationThreshold: 2},
			run:  func(h *harness) { h.activate(); h.step(HAProxyDown{Reason: "hung"}) },
			role: Standby, want: []string{"ReleaseVIP"}, reason: "HAProxy down: hung",
			snapshot: func(t *testing.T, s Snapshot) {
				if s.Banned || s.FailCount != 1 {
					t.Errorf("snapshot banned=%v failcount=%d, want false 1", s.Banned, s.FailCount)
				}
			},
		},
		{
			name: "ban stays while HAProxy is healthy less than BanClearAfter",
			run: func(h *harness) {
				h.step(HAProxyDown{})
				h.step(HAProxyUp{})
				h.advance(ft.BanClearAfter - time.Millisecond)
			},
			role: Standby,
			snapshot: func(t *testing.T, s Snapshot) {
				if !s.Banned {
					t.Error("ban cleared too early")
				}
			},
		},
		{
			name: "ban clears after BanClearAfter of continuous health, fail count kept",
			run: func(h *harness) {
				h.step(HAProxyDown{})
				h.step(HAProxyUp{})
				h.advance(ft.BanClearAfter / 2)
				h.step(HAProxyDown{}) // flap: restarts the clock
				h.step(HAProxyUp{})
				h.advance(ft.BanClearAfter - time.Millisecond)
				if !h.m.Snapshot().Banned {
					h.t.Fatal("ban cleared although HAProxy flapped")
				}
				h.advance(time.Millisecond)
			},
			role: Probing, want: []string{"StartProbe"},
			snapshot: func(t *testing.T, s Snapshot) {
				if s.Banned || s.FailCount != 2 {
					t.Errorf("banned=%v failcount=%d, want false 2", s.Banned, s.FailCount)
				}
			},
		},
		{
			name: "operator online clears standby, ban and fail count",
			run: func(h *harness) {
				h.step(HAProxyDown{})
				h.step(HAProxyUp{})
				h.step(OperatorStandby{})
				h.step(OperatorOnline{})
				h.advance(ft.StartupWait)
			},
			role: Probing,
			snapshot: func(t *testing.T, s Snapshot) {
				if s.Banned || s.FailCount != 0 || s.OperatorStandby {
					t.Errorf("snapshot %+v: flags not cleared", s)
				}
			},
		},
		{
			name: "data link down releases",
			run:  func(h *harness) { h.activate(); h.step(DataLink{Up: false}) },
			role: Standby, want: []string{"ReleaseVIP"}, reason: "data link down",
		},
		{
			name: "operator standby releases and says so in the broadcast",
			run:  func(h *harness) { h.activate(); h.step(OperatorStandby{}) },
			role: Standby, want: []string{"ReleaseVIP", "Broadcast"}, reason: "operator standby",
		},
		{
			name: "a shutdown's standby gives its own reason",
			run:  func(h *harness) { h.activate(); h.step(OperatorStandby{Reason: "shutting down"}) },
			role: Standby, want: []string{"ReleaseVIP", "Broadcast"}, reason: "shutting down",
		},
		{
			name: "operator standby node never probes",
			run:  func(h *harness) { h.step(OperatorStandby{}); h.advance(10 * ft.StartupWait) },
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "VIP lost while active: re-add, role unchanged",
			run:  func(h *harness) { h.activate(); h.step(VIPLost{}) },
			role: Active, want: []string{"AcquireVIP"}, not: []string{"Transition", "Broadcast"},
		},
		{
			name: "VIP lost while standby: nothing",
			run:  func(h *harness) { h.step(VIPLost{}) },
			role: Standby, not: []string{"AcquireVIP"},
		},
		{
			name: "two holders, both eligible, no preferred: higher name releases",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, PeerState{Node: "b", Eligible: true, Holds: true})
			},
			role: Standby, want: []string{"ReleaseVIP"}, reason: "peer b also holds the VIP and wins",
		},
		{
			name: "two holders, both eligible, no preferred: lower name keeps it and re-announces once",
			cfg:  Config{Node: "a"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, peerHolding())
				if count[AcquireVIP](h.last) != 1 {
					h.t.Fatalf("want one re-announce, got %s", kinds(h.last))
				}
				h.hear(PathLAN, peerHolding())
			},
			role: Active, not: []string{"ReleaseVIP", "AcquireVIP"},
		},
		{
			name: "two holders: preferred wins over the lower name",
			cfg:  Config{Node: "a", Preferred: "b"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, peerHolding())
			},
			role: Standby, want: []string{"ReleaseVIP"},
		},
		{
			name: "two holders: the only eligible one wins over preferred",
			cfg:  Config{Node: "a", Preferred: "b"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, PeerState{Node: "b", Holds: true, Banned: true})
			},
			role: Active, not: []string{"ReleaseVIP"},
		},
		{
			name: "foreign claim from the peer: loser releases",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, peerB()) // last state: not holding
				h.step(ForeignClaim{FromPeer: true})
			},
			role: Standby, want: []string{"ReleaseVIP"}, reason: "peer b claims the VIP on the LAN",
		},
		{
			name: "foreign claim from the peer: winner re-announces",
			cfg:  Config{Node: "a"},
			run: func(h *harness) {
				h.activate()
				h.hear(PathLAN, peerB())
				h.step(ForeignClaim{FromPeer: true})
			},
			role: Active, want: []string{"AcquireVIP"}, not: []string{"ReleaseVIP"},
		},
		{
			name: "foreign claim from an unknown host: release, then wait ProbeRetry",
			run: func(h *harness) {
				h.activate()
				h.step(ForeignClaim{})
				if r := lastReason(h.last); r != ReasonForeignUnknown {
					h.t.Fatalf("reason %q", r)
				}
				h.advance(ft.ProbeRetry - time.Millisecond)
				if h.m.Role() != Standby {
					h.t.Fatalf("probed before ProbeRetry")
				}
				h.advance(time.Millisecond)
			},
			role: Probing, want: []string{"StartProbe"},
		},
		{
			name: "peer claim with no peer state known is treated as unknown",
			run:  func(h *harness) { h.activate(); h.step(ForeignClaim{FromPeer: true}) },
			role: Standby, reason: ReasonForeignUnknown,
		},
		{
			name: "operator standby on the peer hands over without a dead timeout",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Holds: true})
				h.advance(ft.Interval)
				// The peer's Broadcast right after its release:
				h.hear(PathInterlink, PeerState{Node: "b", Standby: true})
			},
			role: Probing, want: []string{"StartProbe"},
		},
		{
			name: "a tick with no change emits nothing",
			run:  func(h *harness) { h.step(OperatorStandby{}); h.advance(ft.Interval) },
			role: Standby, not: []string{"Broadcast", "Transition"},
		},
		{
			name: "overtaken heartbeat (lower version) is ignored",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Eligible: true, Holds: true, Version: 5})
				h.hear(PathLAN, PeerState{Node: "b", Standby: true, Version: 4})
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "heartbeat from an older incarnation is ignored",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Incarnation: 9, Eligible: true, Holds: true, Version: 1})
				h.hear(PathLAN, PeerState{Node: "b", Incarnation: 8, Standby: true, Version: 50})
			},
			role: Standby, not: []string{"StartProbe"},
		},
		{
			name: "a restarted peer (new incarnation, version 1) replaces the old state",
			cfg:  Config{Node: "c"},
			run: func(h *harness) {
				h.hear(PathInterlink, PeerState{Node: "b", Incarnation: 9, Eligible: true, Holds: true, Version: 40})
				h.hear(PathLAN, PeerState{Node: "b", Incarnation: 10, Version: 1})
			},
			role: Probing, reason: "peer b gave up the VIP (not eligible)",
		},
		{
			name: "own name in a heartbeat is ignored",
			run: func(h *harness) {
				h.hear(PathLAN, PeerState{Node: "a", Holds: true, Eligible: true})
				h.advance(ft.StartupWait)
			},
			role: Probing,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg.Node == "" {
				cfg.Node = "a"
			}
			h := newHarness(t, cfg)
			c.run(h)
			if got := h.m.Role(); got != c.role {
				t.Fatalf("role %v, want %v (last actions %s, reason %q)", got, c.role, kinds(h.last), lastReason(h.last))
			}
			got := kinds(h.last)
			for _, w := range c.want {
				if !strings.Contains(","+got+",", ","+w+",") {
					t.Errorf("last actions %s lack %s", got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(","+got+",", ","+n+",") {
					t.Errorf("last actions %s contain %s", got, n)
				}
			}
			if c.reason != "" && !strings.Contains(lastReason(h.last), c.reason) {
				t.Errorf("reason %q, want it to contain %q", lastReason(h.last), c.reason)
			}
			if c.snapshot != nil {
				c.snapshot(t, h.m.Snapshot())
			}
			checkStateMatchesRole(t, h.m)
		})
	}
}

func peerHolding() PeerState { return PeerState{Node: "b", Eligible: true, Holds: true} }

func checkStateMatchesRole(t testing.TB, m *Machine) {
	t.Helper()
	s := m.State()
	if s.Holds != (m.Role() == Active) || s.Probing != (m.Role() == Probing) {
		t.Fatalf("state %+v does not match role %v", s, m.Role())
	}
}

func TestTieBreakAndHolderWinner(t *testing.T) {
	tb := []struct {
		nodes     []string
		preferred string
		want      string
	}{
		{nil, "", ""},
		{[]string{"b", "a"}, "", "a"},
		{[]string{"b", "a"}, "b", "b"},
		{[]string{"b", "a"}, "x", "a"},
		{[]string{"", "a"}, "", ""},
		{[]string{"c", "b", "a"}, "", "a"},
	}
	for _, c := range tb {
		if got := TieBreak(c.nodes, c.preferred); got != c.want {
			t.Errorf("TieBreak(%q, %q) = %q, want %q", c.nodes, c.preferred, got, c.want)
		}
	}
	hw := []struct {
		h         []Candidate
		preferred string
		want      string
	}{
		{[]Candidate{{"a", true}, {"b", true}}, "", "a"},
		{[]Candidate{{"a", false}, {"b", true}}, "", "b"},
		{[]Candidate{{"a", false}, {"b", true}}, "a", "b"},
		{[]Candidate{{"a", true}, {"b", true}}, "b", "b"},
		{[]Candidate{{"a", false}, {"b", false}}, "b", "b"},
		{[]Candidate{{"a", false}, {"b", false}}, "", "a"},
	}
	for _, c := range hw {
		if got := HolderWinner(c.h, c.preferred); got != c.want {
			t.Errorf("HolderWinner(%v, %q) = %q, want %q", c.h, c.preferred, got, c.want)
		}
	}
}

func TestSnapshotKeepsLastTransitions(t *testing.T) {
	h := newHarness(t, Config{Node: "a"})
	h.activate()
	for range 30 {
		h.step(OperatorStandby{})
		h.step(OperatorOnline{})
		h.advance(time.Millisecond)
		if sp, ok := find[StartProbe](h.last); ok {
			h.step(ProbeResult{ID: sp.ID})
		}
	}
	s := h.m.Snapshot()
	if len(s.Transitions) != MaxTransitions {
		t.Fatalf("%d transitions, want %d", len(s.Transitions), MaxTransitions)
	}
	last := s.Transitions[len(s.Transitions)-1]
	if last.To != s.Role || !last.At.Equal(s.Since) {
		t.Errorf("last transition %+v does not match role %v since %v", last, s.Role, s.Since)
	}
}

func TestVersionGrowsOnEveryBroadcast(t *testing.T) {
	h := newHarness(t, Config{Node: "a"})
	v := h.m.State().Version
	h.activate()
	b, ok := find[Broadcast](h.last)
	if !ok || b.State.Version <= v || b.State != h.m.State() {
		t.Fatalf("broadcast %+v after version %d, state %+v", b, v, h.m.State())
	}
}

func TestDefaultsFilledIn(t *testing.T) {
	m := New(Config{Node: "a", Timing: Timing{Interval: 10 * time.Millisecond}}, t0)
	tm := m.Timing()
	if tm.DeadAfter != 60*time.Millisecond || tm.StartupWait != 120*time.Millisecond || tm.ProbeRetry <= 0 || tm.BanClearAfter <= 0 || tm.ProbeTimeout <= 0 {
		t.Errorf("timing %+v", tm)
	}
	if m.State().Incarnation != uint64(t0.UnixNano()) {
		t.Errorf("incarnation %d", m.State().Incarnation)
	}
	if m.Step(nil) != nil {
		t.Error("nil event produced actions")
	}
}
