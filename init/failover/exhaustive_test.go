package failover

import (
	"fmt"
	"testing"
	"time"
)

// TestExhaustiveSingleSteps enumerates every combination of configuration
// (own name below or above the peer's, preferred node, failback), local role,
// local eligibility inputs, and peer liveness and flags, then applies every
// kind of event once (and a Tick after it). harness.step checks the
// single-step invariants (checkStep) on every step, including the steps that
// build each state.
func TestExhaustiveSingleSteps(t *testing.T) {
	ft := FastTiming()
	type build struct {
		name string
		run  func(h *harness)
	}
	roles := []build{
		{"standby-startup", func(h *harness) {}},
		{"standby-backoff", func(h *harness) {
			h.advance(ft.StartupWait)
			if sp, ok := find[StartProbe](h.last); ok {
				h.step(ProbeResult{ID: sp.ID, Answered: true})
			}
		}},
		{"probing", func(h *harness) { h.advance(ft.StartupWait) }},
		{"active", func(h *harness) { h.activate() }},
	}
	haproxy := []string{"up", "down-banned", "up-banned", "down-unbanned"}
	type peerSpec struct {
		live string // never, alive, dead, left
		st   PeerState
	}
	var peers []peerSpec
	peers = append(peers, peerSpec{live: "never"})
	for _, live := range []string{"alive", "dead", "left"} {
		for bits := range 16 {
			peers = append(peers, peerSpec{live: live, st: PeerState{
				Node: "b", Holds: bits&1 != 0, Eligible: bits&2 != 0, Standby: bits&4 != 0, Probing: bits&8 != 0,
			}})
		}
	}
	finals := []build{
		{"tick+1ms", func(h *harness) { h.advance(time.Millisecond) }},
		{"tick+dead", func(h *harness) { h.advance(ft.DeadAfter) }},
		{"tick+startup", func(h *harness) { h.advance(ft.StartupWait) }},
		{"tick+retry", func(h *harness) { h.advance(ft.ProbeRetry) }},
		{"tick+banclear", func(h *harness) { h.advance(ft.BanClearAfter) }},
		{"heard-holding", func(h *harness) { h.hear(PathLAN, PeerState{Node: "b", Holds: true, Eligible: true}) }},
		{"heard-holding-inelig", func(h *harness) { h.hear(PathLAN, PeerState{Node: "b", Holds: true, Banned: true}) }},
		{"heard-eligible", func(h *harness) { h.hear(PathInterlink, PeerState{Node: "b", Eligible: true}) }},
		{"heard-standby", func(h *harness) { h.hear(PathInterlink, PeerState{Node: "b", Standby: true}) }},
		{"heard-probing", func(h *harness) { h.hear(PathLAN, PeerState{Node: "b", Eligible: true, Probing: true}) }},
		{"heard-restarted", func(h *harness) { h.hear(PathLAN, PeerState{Node: "b", Incarnation: 2, Version: 1}) }},
		{"left", func(h *harness) { h.step(PeerLeft{Node: "b"}) }},
		{"probe-answered", func(h *harness) { h.step(ProbeResult{ID: h.m.probeID, Answered: true}) }},
		{"probe-unanswered", func(h *harness) { h.step(ProbeResult{ID: h.m.probeID}) }},
		{"probe-stale", func(h *harness) { h.step(ProbeResult{ID: h.m.probeID + 1}) }},
		{"claim-peer", func(h *harness) { h.step(ForeignClaim{FromPeer: true}) }},
		{"claim-unknown", func(h *harness) { h.step(ForeignClaim{}) }},
		{"haproxy-down", func(h *harness) { h.step(HAProxyDown{Reason: "x"}) }},
		{"haproxy-up", func(h *harness) { h.step(HAProxyUp{}) }},
		{"link-down", func(h *harness) { h.step(DataLink{Up: false}) }},
		{"link-up", func(h *harness) { h.step(DataLink{Up: true}) }},
		{"op-standby", func(h *harness) { h.step(OperatorStandby{}) }},
		{"op-online", func(h *harness) { h.step(OperatorOnline{}) }},
		{"vip-lost", func(h *harness) { h.step(VIPLost{}) }},
		{"handover-req", func(h *harness) { h.step(HandoverRequested{From: "b"}) }},
	}
	n, seen := 0, 0
	for _, self := range []string{"a", "c"} {
		for _, pref := range []string{"", self, "b"} {
			for _, failback := range []bool{false, true} {
				for _, role := range roles {
					for _, hp := range haproxy {
						for _, linkUp := range []bool{true, false} {
							for _, opStandby := range []bool{false, true} {
								for _, ps := range peers {
									seen++
									if testing.Short() && seen%7 != 0 {
										continue
									}
									cfg := Config{Node: self, Preferred: pref, Failback: failback, MigrationThreshold: 1}
									if hp == "down-unbanned" {
										cfg.MigrationThreshold = 2
									}
									name := fmt.Sprintf("%s/pref=%q/fb=%v/%s/haproxy=%s/link=%v/standby=%v/peer=%s%+v",
										self, pref, failback, role.name, hp, linkUp, opStandby, ps.live, ps.st)
									h := newHarness(&namedTB{TB: t, name: name}, cfg)
									role.run(h)
									switch ps.live {
									case "alive":
										h.hear(PathInterlink, ps.st)
									case "dead":
										h.hear(PathInterlink, ps.st)
										h.advance(ft.DeadAfter)
									case "left":
										h.hear(PathInterlink, ps.st)
										h.step(PeerLeft{Node: "b"})
									}
									switch hp {
									case "down-banned", "down-unbanned":
										h.step(HAProxyDown{Reason: "crash"})
									case "up-banned":
										h.step(HAProxyDown{Reason: "crash"})
										h.step(HAProxyUp{})
									}
									if !linkUp {
										h.step(DataLink{Up: false})
									}
									if opStandby {
										h.step(OperatorStandby{})
									}
									base, baseNow := h.m, h.now
									for _, f := range finals {
										h2 := &harness{t: &namedTB{TB: t, name: name + "/" + f.name}, m: base.clone(), now: baseNow, peerVer: h.peerVer}
										f.run(h2)
										h2.advance(ft.Interval)
										n++
									}
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d state/event combinations checked", n)
}

// namedTB prefixes failures with the combination that produced them.
type namedTB struct {
	testing.TB
	name string
}

func (n *namedTB) Fatalf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Fatalf("[%s] "+format, append([]any{n.name}, args...)...)
}
