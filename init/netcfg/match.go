package netcfg

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
)

// maxIfName is IFNAMSIZ-1.
const maxIfName = 15

// Match finds the link for each seed interface: by MAC when one is given,
// else by name. Links matched by MAC are renamed to the seed's name. Renames
// go through temporary names, so swaps (eth0<->eth1) work; a link the seed
// does not list but whose name the seed wants is moved aside to
// "rename<ifindex>", as udev does. A renamed link is taken down for the
// rename (the kernel requires it) and brought back up if it was up.
//
// The result maps the seed's names to the (renamed) links.
func Match(ifaces []Interface) (map[string]netlink.Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netcfg: list links: %w", err)
	}
	plan, err := matchLinks(ifaces, links)
	if err != nil {
		return nil, err
	}
	if err := renameAll(plan, links); err != nil {
		return nil, err
	}
	out := make(map[string]netlink.Link, len(plan))
	for name, idx := range plan {
		l, err := netlink.LinkByIndex(idx)
		if err != nil {
			return nil, fmt.Errorf("netcfg: link %s (index %d): %w", name, idx, err)
		}
		out[name] = l
	}
	return out, nil
}

// matchLinks is the pure part of Match: it maps each seed name to a link
// index, or explains why it cannot.
func matchLinks(ifaces []Interface, links []netlink.Link) (map[string]int, error) {
	plan := make(map[string]int, len(ifaces))
	claimedBy := map[int]string{}
	var errs []error
	for _, ifc := range ifaces {
		if err := validName(ifc.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := plan[ifc.Name]; dup {
			errs = append(errs, fmt.Errorf("netcfg: interface %q listed twice", ifc.Name))
			continue
		}
		var found []netlink.Link
		for _, l := range links {
			a := l.Attrs()
			if len(ifc.MAC) > 0 {
				if bytes.Equal(a.HardwareAddr, ifc.MAC) {
					found = append(found, l)
				}
			} else if a.Name == ifc.Name {
				found = append(found, l)
			}
		}
		what := fmt.Sprintf("name %q", ifc.Name)
		if len(ifc.MAC) > 0 {
			what = fmt.Sprintf("MAC %s", ifc.MAC)
		}
		switch len(found) {
		case 0:
			errs = append(errs, fmt.Errorf("netcfg: interface %q: no link with %s", ifc.Name, what))
			continue
		case 1:
		default:
			names := make([]string, len(found))
			for i, l := range found {
				names[i] = l.Attrs().Name
			}
			errs = append(errs, fmt.Errorf("netcfg: interface %q: %s is ambiguous (links %s)",
				ifc.Name, what, strings.Join(names, ", ")))
			continue
		}
		idx := found[0].Attrs().Index
		if other, ok := claimedBy[idx]; ok {
			errs = append(errs, fmt.Errorf("netcfg: interfaces %q and %q both match link %s",
				other, ifc.Name, found[0].Attrs().Name))
			continue
		}
		claimedBy[idx] = ifc.Name
		plan[ifc.Name] = idx
	}
	return plan, errors.Join(errs...)
}

func validName(name string) error {
	if name == "" || len(name) > maxIfName || name == "." || name == ".." ||
		strings.ContainsAny(name, "/: \t\n") {
		return fmt.Errorf("netcfg: invalid interface name %q", name)
	}
	return nil
}

// renameAll gives every planned link its seed name. Phase one moves each link
// that must change name, and each unplanned link squatting on a wanted name,
// to a temporary name; phase two gives the planned links their final names.
func renameAll(plan map[string]int, links []netlink.Link) error {
	byIndex := map[int]netlink.Link{}
	for _, l := range links {
		byIndex[l.Attrs().Index] = l
	}
	planned := map[int]string{}
	for name, idx := range plan {
		planned[idx] = name
	}
	var moved []int // planned links now under a temporary name
	for _, l := range links {
		a := l.Attrs()
		want, isPlanned := planned[a.Index]
		switch {
		case isPlanned && a.Name != want:
			if err := renameLink(l, "tdtmp"+strconv.Itoa(a.Index)); err != nil {
				return err
			}
			moved = append(moved, a.Index)
		case !isPlanned:
			if _, squat := plan[a.Name]; squat {
				if err := renameLink(l, "rename"+strconv.Itoa(a.Index)); err != nil {
					return err
				}
				if a.Flags&net.FlagUp != 0 {
					if err := netlink.LinkSetUp(l); err != nil {
						return fmt.Errorf("netcfg: set %s up after rename: %w", a.Name, err)
					}
				}
			}
		}
	}
	for _, idx := range moved {
		l, err := netlink.LinkByIndex(idx)
		if err != nil {
			return fmt.Errorf("netcfg: link index %d: %w", idx, err)
		}
		wasUp := byIndex[idx].Attrs().Flags&net.FlagUp != 0
		if err := renameLink(l, planned[idx]); err != nil {
			return err
		}
		if wasUp {
			if err := netlink.LinkSetUp(l); err != nil {
				return fmt.Errorf("netcfg: set %s up after rename: %w", planned[idx], err)
			}
		}
	}
	return nil
}

// renameLink takes the link down and renames it. The caller brings it up.
func renameLink(l netlink.Link, name string) error {
	old := l.Attrs().Name
	if err := netlink.LinkSetDown(l); err != nil {
		return fmt.Errorf("netcfg: set %s down to rename it to %s: %w", old, name, err)
	}
	if err := netlink.LinkSetName(l, name); err != nil {
		return fmt.Errorf("netcfg: rename %s to %s: %w", old, name, err)
	}
	l.Attrs().Name = name
	return nil
}
