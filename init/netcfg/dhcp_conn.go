package netcfg

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"golang.org/x/sys/unix"
)

// boundConn opens the UDP socket used to renew and rebind: bound to the
// leased address on port 68 and to the link itself (SO_BINDTODEVICE), so a
// request leaves through this link only, whatever the routing table says.
// Renewal sends unicast to the server; rebinding broadcasts to
// 255.255.255.255 (SO_BROADCAST). Servers answer a request with ciaddr set by
// unicast to ciaddr, which this socket receives.
func boundConn(ctx context.Context, link string, addr netip.Addr) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
				return
			}
			serr = unix.BindToDevice(int(fd), link)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	la := netip.AddrPortFrom(addr, nclient4.ClientPort).String()
	c, err := lc.ListenPacket(ctx, "udp4", la)
	if err != nil {
		return nil, fmt.Errorf("netcfg: dhcp socket %s on %s: %w", la, link, err)
	}
	return c, nil
}
