package netcfg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ApplyOption tunes Apply.
type ApplyOption func(*applyConfig)

type applyConfig struct {
	exclude      func(netip.Prefix) bool
	pruneForeign bool
}

// WithExclude protects addresses from removal whatever their owner: the VIP
// holder passes a function that recognises the VIP.
func WithExclude(f func(netip.Prefix) bool) ApplyOption {
	return func(c *applyConfig) { c.exclude = f }
}

// WithPruneForeign also removes addresses netcfg did not add (an operator's
// `ip addr add`), except excluded ones, IPv6 link-local addresses and the
// DHCP client's lease. Off by default.
func WithPruneForeign() ApplyOption {
	return func(c *applyConfig) { c.pruneForeign = true }
}

// Apply configures one link as the seed says: MTU, link up, static addresses
// and the default route through Gateway. It is idempotent: a second call with
// the same Interface changes nothing.
//
// Addresses: missing ones are added (tagged ProtoStatic, IPv6 with
// IFA_F_NODAD, infinite lifetimes); addresses tagged ProtoStatic that the seed
// no longer lists are removed; all others stay (see WithPruneForeign,
// WithExclude). The default route is replaced, so a stale one (another
// gateway, or a DHCP route) is overwritten; netcfg never deletes a default
// route the seed no longer names, because it cannot tell it from an operator's.
func Apply(ctx context.Context, iface Interface, link netlink.Link, opts ...ApplyOption) error {
	var cfg applyConfig
	for _, o := range opts {
		o(&cfg)
	}
	if link == nil || link.Attrs() == nil {
		return fmt.Errorf("netcfg: apply %s: no link", iface.Name)
	}
	name, idx := link.Attrs().Name, link.Attrs().Index
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("netcfg: apply %s: %w", name, err)
	}
	for _, p := range iface.Addresses {
		if !p.IsValid() {
			return fmt.Errorf("netcfg: apply %s: invalid address %v", name, p)
		}
	}
	if iface.MTU < 0 {
		return fmt.Errorf("netcfg: apply %s: negative MTU %d", name, iface.MTU)
	}
	if iface.MTU > 0 && link.Attrs().MTU != iface.MTU {
		if err := netlink.LinkSetMTU(link, iface.MTU); err != nil {
			return fmt.Errorf("netcfg: set MTU %d on %s: %w", iface.MTU, name, err)
		}
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := netlink.LinkSetUp(link); err != nil {
			return fmt.Errorf("netcfg: set %s up: %w", name, err)
		}
	}
	if err := syncAddrs(idx, name, iface.Addresses, cfg); err != nil {
		return err
	}
	if iface.Gateway.IsValid() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("netcfg: apply %s: %w", name, err)
		}
		if err := replaceDefaultRoute(idx, iface.Gateway, netip.Addr{}, unix.RTPROT_STATIC); err != nil {
			return fmt.Errorf("netcfg: default route via %s on %s: %w", iface.Gateway, name, err)
		}
	}
	return nil
}

// syncAddrs adds the wanted addresses and removes the stale ones Apply owns.
func syncAddrs(idx int, name string, want []netip.Prefix, cfg applyConfig) error {
	have, err := listAddrs(idx)
	if err != nil {
		return fmt.Errorf("netcfg: apply %s: %w", name, err)
	}
	wanted := func(p netip.Prefix) bool {
		return slices.ContainsFunc(want, func(w netip.Prefix) bool { return samePrefix(w, p) })
	}
	var errs []error
	for _, w := range want {
		if slices.ContainsFunc(have, func(a kernelAddr) bool { return samePrefix(a.Prefix, w) }) {
			continue
		}
		if err := replaceAddr(idx, addrSpec{Prefix: w, Proto: ProtoStatic}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range have {
		if wanted(a.Prefix) || (cfg.exclude != nil && cfg.exclude(a.Prefix)) {
			continue
		}
		remove := a.Proto == ProtoStatic
		if cfg.pruneForeign && a.Proto != ProtoDHCP && !a.Prefix.Addr().IsLinkLocalUnicast() {
			remove = true
		}
		if !remove {
			continue
		}
		if a.Prefix.Addr().Is4() {
			if err := promoteSecondaries(name); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := delAddr(idx, a.Prefix); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("netcfg: apply %s: %w", name, err)
	}
	return nil
}

// samePrefix compares address and prefix length, ignoring IPv4-in-IPv6 mapping.
func samePrefix(a, b netip.Prefix) bool {
	return a.Addr().Unmap() == b.Addr().Unmap() && a.Bits() == b.Bits()
}

// replaceDefaultRoute installs "default via gw dev idx [src src] proto proto".
func replaceDefaultRoute(idx int, gw, src netip.Addr, proto netlink.RouteProtocol) error {
	r := defaultRoute(idx, gw, src, proto)
	return netlink.RouteReplace(&r)
}

func defaultRoute(idx int, gw, src netip.Addr, proto netlink.RouteProtocol) netlink.Route {
	gw = gw.Unmap()
	bits := 128
	family := netlink.FAMILY_V6
	if gw.Is4() {
		bits, family = 32, netlink.FAMILY_V4
	}
	r := netlink.Route{
		LinkIndex: idx,
		Dst:       &net.IPNet{IP: make(net.IP, bits/8), Mask: net.CIDRMask(0, bits)},
		Gw:        net.IP(gw.AsSlice()),
		Protocol:  proto,
		Family:    family,
		Scope:     netlink.SCOPE_UNIVERSE,
	}
	if src.IsValid() {
		r.Src = net.IP(src.Unmap().AsSlice())
	}
	return r
}

// promoteSecondaries makes the kernel keep the other IPv4 addresses of a
// subnet when its primary address is deleted. Without it, removing a stale
// primary address would silently take the VIP (a secondary) with it.
func promoteSecondaries(link string) error {
	return SetSysctl("net/ipv4/conf/"+link+"/promote_secondaries", "1")
}
