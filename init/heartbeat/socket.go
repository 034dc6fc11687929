package heartbeat

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Traffic class for heartbeats: DSCP CS6 (network control) in IP_TOS /
// IPV6_TCLASS, and the highest socket priority an unprivileged socket may
// use, so qdiscs on a busy data NIC send heartbeats first.
const (
	tosCS6         = 48 << 2
	socketPriority = 6
)

// openSocket opens a non-blocking UDP socket bound to p.Local:port (and to
// p.Device), and resolves the peers' socket addresses. The socket is a raw
// file descriptor, not a net.UDPConn: the loops read and sleep in the kernel
// on their own high-priority threads instead of in the Go netpoller.
func openSocket(p Path, port uint16) (fd int, peers []unix.Sockaddr, err error) {
	local := p.Local.Unmap()
	family := unix.AF_INET6
	if local.Is4() {
		family = unix.AF_INET
	}
	scope := 0
	if p.Device != "" {
		ifi, err := net.InterfaceByName(p.Device)
		if err != nil {
			return -1, nil, fmt.Errorf("heartbeat: path %s: device %s: %w", p.Name, p.Device, err)
		}
		scope = ifi.Index
	}
	fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, nil, fmt.Errorf("heartbeat: path %s: socket: %w", p.Name, err)
	}
	fail := func(what string, err error) (int, []unix.Sockaddr, error) {
		unix.Close(fd)
		return -1, nil, fmt.Errorf("heartbeat: path %s: %s: %w", p.Name, what, err)
	}
	// SO_REUSEADDR plus a device binding lets the interlink and LAN sockets
	// share the port even when bound to the same (or a wildcard) address.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("SO_REUSEADDR", err)
	}
	if p.Device != "" {
		if err := unix.BindToDevice(fd, p.Device); err != nil {
			return fail("SO_BINDTODEVICE "+p.Device, err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PRIORITY, socketPriority); err != nil {
		return fail("SO_PRIORITY", err)
	}
	if family == unix.AF_INET {
		// A LAN path with no configured peer sends to the subnet's
		// broadcast address.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
			return fail("SO_BROADCAST", err)
		}
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, tosCS6)
	} else {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tosCS6)
	}
	if err != nil {
		return fail("IP_TOS", err)
	}
	if err := unix.Bind(fd, sockaddr(local, port, scope)); err != nil {
		return fail(fmt.Sprintf("bind %s", netip.AddrPortFrom(local, port)), err)
	}
	for _, peer := range p.Peers {
		peers = append(peers, sockaddr(peer.Unmap(), port, scope))
	}
	return fd, peers, nil
}

// sockaddr builds a unix.Sockaddr; scope is used for link-local IPv6.
func sockaddr(a netip.Addr, port uint16, scope int) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(port), Addr: a.As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(port), Addr: a.As16()}
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
		sa.ZoneId = uint32(scope)
	}
	return sa
}

// addrOf extracts the IP address from a received source address.
func addrOf(sa unix.Sockaddr) netip.Addr {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(s.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(s.Addr).Unmap()
	}
	return netip.Addr{}
}
