// Package vip performs the side effects of holding a virtual IP address:
// adding and removing it with netlink, announcing it with gratuitous ARP
// (IPv4) and unsolicited neighbour advertisements (IPv6), watching netlink
// for the address or its link going away, probing whether another host
// already answers for it (RFC 5227 style), and watching the wire for other
// hosts claiming it.
//
// The package decides nothing: the failover runtime decides when to call
// Acquire and Release. Everything acts on the network namespace of the
// calling process; sysctls (arp_ignore, arp_announce, ip_nonlocal_bind,
// ...) are set elsewhere.
//
// Frames are built and read with raw packet sockets bound to one EtherType
// (ARP) or with a BPF filter (ICMPv6 neighbour advertisements), so a node
// needs no IPv4 address of its own on the link to probe, and a busy LAN
// does not wake the readers for unrelated traffic.
package vip
