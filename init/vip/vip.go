package vip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// VIP is one virtual address as it appears on an interface: the address
// with the prefix length of the connected network (192.168.10.80/24 or
// 2001:db8::80/64), and the name of the link that carries it.
type VIP struct {
	Prefix netip.Prefix
	Link   string
}

// String renders the VIP as "192.168.10.80/24 dev eth0".
func (v VIP) String() string {
	return v.Prefix.String() + " dev " + v.Link
}

// Addr returns the bare address of the VIP.
func (v VIP) Addr() netip.Addr { return v.Prefix.Addr() }

// Validate reports whether the VIP can be configured: a valid unicast
// address without zone, a prefix length that leaves the address a host
// address, and a link name that fits the kernel's limit.
func (v VIP) Validate() error {
	if !v.Prefix.IsValid() {
		return errors.New("vip: invalid prefix")
	}
	a := v.Prefix.Addr()
	if a.Zone() != "" {
		return fmt.Errorf("vip: %s: zone not allowed", v.Prefix)
	}
	if a.Is4In6() {
		return fmt.Errorf("vip: %s: use the plain IPv4 form", v.Prefix)
	}
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() || a.IsLinkLocalUnicast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return fmt.Errorf("vip: %s: not a usable unicast address", v.Prefix)
	}
	if v.Link == "" || len(v.Link) > 15 {
		return fmt.Errorf("vip: %s: invalid link name %q", v.Prefix, v.Link)
	}
	return nil
}

// ipNet converts the VIP to the net.IPNet netlink expects, keeping the
// host part (netip.Prefix.Masked would drop it).
func (v VIP) ipNet() *net.IPNet {
	a := v.Prefix.Addr()
	bits := 32
	if a.Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(v.Prefix.Bits(), bits)}
}

// validateAll checks a VIP list once, so later code can trust it.
func validateAll(vips []VIP) error {
	if len(vips) == 0 {
		return errors.New("vip: no VIPs given")
	}
	for _, v := range vips {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}
