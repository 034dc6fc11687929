// Package failover is the pure decision state machine that decides which node
// holds the virtual IP (VIP).
//
// It models the seed's Pacemaker setup (resource-stickiness=INFINITY,
// migration-threshold=1, and the "VIPcheck" split-brain guard) and improves on
// it. Every node runs one Machine. The runtime feeds it Events (heartbeats from
// the peer, HAProxy and data-link health, ARP probe results, operator commands,
// clock ticks) and executes the Actions it returns (probe the LAN for the VIP,
// add or remove the VIP, send a heartbeat now, ask the holder for a handover,
// log a transition).
//
// The package does no I/O, starts no goroutines and never reads the clock: the
// current time travels inside every Event, so the machine is deterministic and
// can be tested exhaustively and in simulation.
//
// Rules in one place (see rules.go for the deterministic tie-breaks):
//   - A node is eligible when HAProxy is healthy, its data link is up, and it is
//     neither in operator standby nor banned.
//   - A Standby node that is eligible starts Probing when no live peer holds the
//     VIP and it wins the tie-break among eligible live nodes (the preferred
//     node if set, else the lower name). A dead peer is simply not a candidate.
//   - Probing asks the runtime for an ARP probe of the VIP; only an unanswered
//     probe lets the node acquire the VIP (the split-brain guard).
//   - An Active node keeps the VIP while eligible (stickiness: no failback
//     unless Config.Failback and a Preferred node are set). If a live peer also
//     holds it, both nodes evaluate the same rule and the loser releases.
package failover
