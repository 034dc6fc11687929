package netcfg

import (
	"net"
	"net/netip"
)

// Interface is the seed's description of one network interface.
type Interface struct {
	// Name is the name the seed wants the link to have.
	Name string
	// MAC, when set, finds the link by hardware address; it is then renamed
	// to Name.
	MAC net.HardwareAddr
	// Addresses are static addresses with their prefix length.
	Addresses []netip.Prefix
	// DHCP runs a DHCPv4 client on the link (see DHCP).
	DHCP bool
	// Gateway, when valid, becomes the default route of its family.
	Gateway netip.Addr
	// MTU is applied when non-zero.
	MTU int
	// DNS servers for resolv.conf; netcfg only carries them (WriteResolvConf).
	DNS []netip.Addr
}
