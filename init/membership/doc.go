// Package membership runs hashicorp/memberlist over the interlink: who is in
// the cluster (join, graceful leave, failure-detected death), reliable
// operator messages between the nodes, and a rejoin loop, because
// memberlist does not rejoin by itself after a partition heals.
//
// Gossip is encrypted and authenticated with a 32-byte key derived from the
// cluster secret by HKDF-SHA256, and labelled with the cluster name, so
// neither a wrong key nor another cluster can create members. Fast failure
// detection is the heartbeat package's job; memberlist is the slower,
// richer view.
package membership
