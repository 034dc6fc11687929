// Package heartbeat is tandem's fast failure-detection side channel: a small
// authenticated UDP protocol that sends a heartbeat to the peer over several
// paths at once (the dedicated interlink and the data LAN), so that a cut
// interlink alone never looks like a dead peer.
//
// Every packet carries the sender's incarnation and a per-path sequence number,
// an echo of the last packet heard from the peer (for round-trip times) and an
// opaque payload (the caller's failover state), all covered by an HMAC-SHA256
// keyed with a key derived from the cluster secret by HKDF-SHA256.
//
// The send and receive loops run on goroutines locked to their own OS threads
// whose scheduling priority is raised (SCHED_FIFO if permitted, otherwise nice
// -10), and they sleep and wake in the kernel (ppoll on the sockets and an
// eventfd) rather than in the Go scheduler, so the rhythm holds when the CPUs
// are busy with other processes. Deciding that a peer is dead is left to the
// caller; Profile gives the intended interval/timeout pairs.
package heartbeat
