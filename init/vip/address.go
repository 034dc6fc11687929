package vip

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// addAddress puts the VIP on its link. It is idempotent: an address that
// is already there counts as success.
func addAddress(v VIP) error {
	link, err := netlink.LinkByName(v.Link)
	if err != nil {
		return fmt.Errorf("vip: add %s: find link: %w", v, err)
	}
	a := &netlink.Addr{IPNet: v.ipNet()}
	if v.Prefix.Addr().Is6() {
		// Without NODAD the address stays tentative for about a second
		// and can be neither announced nor served from.
		a.Flags = unix.IFA_F_NODAD
	} else if label := v.Link + ":vip"; len(label) <= 15 {
		// The label makes the VIP recognisable in `ip addr` output.
		a.Label = label
	}
	if err := netlink.AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("vip: add %s: %w", v, err)
	}
	return nil
}

// removeAddress takes the VIP off its link. An address (or link) that is
// already gone counts as success.
func removeAddress(v VIP) error {
	link, err := netlink.LinkByName(v.Link)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return fmt.Errorf("vip: remove %s: find link: %w", v, err)
	}
	err = netlink.AddrDel(link, &netlink.Addr{IPNet: v.ipNet()})
	if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("vip: remove %s: %w", v, err)
	}
	return nil
}

// hasAddress reports whether the VIP is currently on its link.
func hasAddress(v VIP) (bool, error) {
	link, err := netlink.LinkByName(v.Link)
	if err != nil {
		return false, fmt.Errorf("vip: check %s: find link: %w", v, err)
	}
	family := netlink.FAMILY_V4
	if v.Prefix.Addr().Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(link, family)
	if err != nil {
		return false, fmt.Errorf("vip: check %s: list addresses: %w", v, err)
	}
	for _, a := range addrs {
		if a.IPNet != nil && a.IPNet.IP.Equal(v.ipNet().IP) {
			return true, nil
		}
	}
	return false, nil
}
