package runtime

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"tandem/init/vip"
)

// Draining: when this node gives a VIP up, it moves the address from the
// data NIC to loopback for a short while instead of dropping it. With
// arp_ignore=1 the node no longer answers ARP for it, so the peer's probe
// finds the LAN free and takes over, yet packets still sent to this node's
// MAC by clients whose ARP cache is not updated yet are accepted and served
// by the HAProxy that is still running here. A planned move then loses no
// request. A VIP "held" in tandem's sense is one on the data NIC.

func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

func loAddr(a netip.Addr) *netlink.Addr {
	p := hostPrefix(a)
	addr := &netlink.Addr{IPNet: netipToIPNet(p)}
	if a.Is6() {
		addr.Flags = unix.IFA_F_NODAD
	}
	return addr
}

// drainVIPs adds each VIP to loopback as a host address.
func drainVIPs(vips []vip.VIP) error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("drain: loopback: %w", err)
	}
	var errs []error
	for _, v := range vips {
		if err := netlink.AddrAdd(lo, loAddr(v.Addr())); err != nil && !errors.Is(err, syscall.EEXIST) {
			errs = append(errs, fmt.Errorf("drain: add %s to lo: %w", v.Addr(), err))
		}
	}
	return errors.Join(errs...)
}

// undrainVIPs removes the loopback copies.
func undrainVIPs(vips []vip.VIP) error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("drain: loopback: %w", err)
	}
	var errs []error
	for _, v := range vips {
		err := netlink.AddrDel(lo, loAddr(v.Addr()))
		if err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("drain: remove %s from lo: %w", v.Addr(), err))
		}
	}
	return errors.Join(errs...)
}
