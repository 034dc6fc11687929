package netcfg

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addDummy adds a link with a fixed MAC. It is one end of a veth pair (peer
// name+"p", up) because the test kernel may lack the dummy driver.
func addDummy(t *testing.T, name, mac string) {
	t.Helper()
	run(t, "ip", "link", "add", name, "address", mac, "type", "veth", "peer", "name", name+"p")
	run(t, "ip", "link", "set", name+"p", "up")
}

func TestMatchRenameSwap(t *testing.T) {
	if !inChild(t) {
		requireRoot(t)
		runChild(t, newNS(t, "m"))
		return
	}
	const macA, macB, macC = "02:00:5e:00:00:0a", "02:00:5e:00:00:0b", "02:00:5e:00:00:0c"
	addDummy(t, "tna", macA)
	addDummy(t, "tnb", macB)
	addDummy(t, "tnc", macC)
	run(t, "ip", "link", "set", "tna", "up")

	// Swap tna and tnb by MAC; tnc by name.
	got, err := Match([]Interface{
		{Name: "tnb", MAC: mustMAC(t, macA)},
		{Name: "tna", MAC: mustMAC(t, macB)},
		{Name: "tnc"},
	})
	if err != nil {
		t.Fatalf("Match swap: %v", err)
	}
	for name, mac := range map[string]string{"tnb": macA, "tna": macB, "tnc": macC} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatalf("LinkByName(%s): %v", name, err)
		}
		if l.Attrs().HardwareAddr.String() != mac {
			t.Errorf("link %s has MAC %s, want %s", name, l.Attrs().HardwareAddr, mac)
		}
		if got[name] == nil || got[name].Attrs().Index != l.Attrs().Index {
			t.Errorf("Match()[%s] = %v, want index %d", name, got[name], l.Attrs().Index)
		}
	}
	// The old tna (now tnb) was up and must be up again after the rename.
	if l, _ := netlink.LinkByName("tnb"); l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("tnb (was tna, up) is down after rename")
	}

	// Rerun: nothing to rename, same result.
	if _, err := Match([]Interface{{Name: "tnb", MAC: mustMAC(t, macA)}}); err != nil {
		t.Fatalf("Match rerun: %v", err)
	}

	// A link the seed does not list is moved aside from a wanted name.
	addDummy(t, "tnf", "02:00:5e:00:00:0f")
	squatter, _ := netlink.LinkByName("tnf")
	if _, err := Match([]Interface{{Name: "tnf", MAC: mustMAC(t, macC)}}); err != nil {
		t.Fatalf("Match over squatter: %v", err)
	}
	if l, err := netlink.LinkByName("tnf"); err != nil || l.Attrs().HardwareAddr.String() != macC {
		t.Errorf("tnf = %v, %v; want the link with MAC %s", l, err, macC)
	}
	if l, err := netlink.LinkByIndex(squatter.Attrs().Index); err != nil || !strings.HasPrefix(l.Attrs().Name, "rename") {
		t.Errorf("squatter renamed to %v (%v), want rename<index>", l, err)
	}

	// Errors: absent MAC, absent name, ambiguous MAC.
	addDummy(t, "tnd", "02:00:5e:00:00:dd")
	addDummy(t, "tne", "02:00:5e:00:00:dd")
	for _, tc := range []struct {
		in   Interface
		want string
	}{
		{Interface{Name: "tnx", MAC: mustMAC(t, "02:00:5e:00:00:99")}, "no link with MAC"},
		{Interface{Name: "tnzz"}, `no link with name "tnzz"`},
		{Interface{Name: "tnd", MAC: mustMAC(t, "02:00:5e:00:00:dd")}, "ambiguous"},
	} {
		if _, err := Match([]Interface{tc.in}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Match(%+v) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// addrSet is the link's addresses with their owner, for comparisons.
func addrSet(t *testing.T, link string) map[netip.Prefix]uint8 {
	t.Helper()
	l, err := netlink.LinkByName(link)
	if err != nil {
		t.Fatal(err)
	}
	as, err := listAddrs(l.Attrs().Index)
	if err != nil {
		t.Fatal(err)
	}
	m := map[netip.Prefix]uint8{}
	for _, a := range as {
		m[a.Prefix] = a.Proto
		if a.Proto == ProtoStatic && a.Prefix.Addr().Is6() && a.Flags&unix.IFA_F_TENTATIVE != 0 {
			t.Errorf("%s on %s is tentative; want NODAD", a.Prefix, link)
		}
	}
	return m
}

func TestApplyIdempotentKeepsVIP(t *testing.T) {
	if !inChild(t) {
		requireRoot(t)
		runChild(t, newNS(t, "a"))
		return
	}
	ctx := context.Background()
	addDummy(t, "tna", "02:00:5e:00:01:0a")
	links, err := Match([]Interface{{Name: "tna"}})
	if err != nil {
		t.Fatal(err)
	}
	v4 := netip.MustParsePrefix("198.51.100.10/24")
	v6 := netip.MustParsePrefix("2001:db8:1::10/64")
	vip := netip.MustParsePrefix("198.51.100.80/24")
	foreign := netip.MustParsePrefix("198.51.100.99/24")
	isVIP := func(p netip.Prefix) bool { return p.Addr() == vip.Addr() }
	ifc := Interface{Name: "tna", Addresses: []netip.Prefix{v4, v6}, Gateway: netip.MustParseAddr("198.51.100.1"), MTU: 1400}

	if err := Apply(ctx, ifc, links["tna"], WithExclude(isVIP)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	l, _ := netlink.LinkByName("tna")
	if l.Attrs().MTU != 1400 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("tna MTU %d up %v, want 1400 up", l.Attrs().MTU, l.Attrs().Flags&net.FlagUp != 0)
	}
	have := addrSet(t, "tna")
	if have[v4] != ProtoStatic || have[v6] != ProtoStatic {
		t.Errorf("addresses = %v, want %s and %s with proto %#x", have, v4, v6, ProtoStatic)
	}
	checkDefaultRoute(t, l, "198.51.100.1")

	// The VIP holder and an operator add addresses netcfg does not own.
	run(t, "ip", "addr", "add", vip.String(), "dev", "tna")
	run(t, "ip", "addr", "add", foreign.String(), "dev", "tna")
	before := addrSet(t, "tna")
	if err := Apply(ctx, ifc, l, WithExclude(isVIP)); err != nil {
		t.Fatalf("Apply rerun: %v", err)
	}
	if after := addrSet(t, "tna"); !mapsEqual(before, after) {
		t.Errorf("Apply rerun changed addresses: %v -> %v", before, after)
	}
	checkDefaultRoute(t, l, "198.51.100.1")

	// The seed drops .10 for .11: netcfg removes its own stale address only.
	v4b := netip.MustParsePrefix("198.51.100.11/24")
	ifc.Addresses = []netip.Prefix{v4b, v6}
	if err := Apply(ctx, ifc, l, WithExclude(isVIP)); err != nil {
		t.Fatalf("Apply new address: %v", err)
	}
	have = addrSet(t, "tna")
	if _, ok := have[v4]; ok {
		t.Errorf("stale %s still present: %v", v4, have)
	}
	for _, p := range []netip.Prefix{v4b, v6, vip, foreign} {
		if _, ok := have[p]; !ok {
			t.Errorf("%s missing after Apply: %v", p, have)
		}
	}

	// Told to prune foreign addresses: the operator's goes, the VIP and
	// the kernel's link-local stay.
	if err := Apply(ctx, ifc, l, WithExclude(isVIP), WithPruneForeign()); err != nil {
		t.Fatalf("Apply prune: %v", err)
	}
	have = addrSet(t, "tna")
	if _, ok := have[foreign]; ok {
		t.Errorf("foreign %s survived PruneForeign: %v", foreign, have)
	}
	if _, ok := have[vip]; !ok {
		t.Errorf("VIP %s removed: %v", vip, have)
	}
	if !slices.ContainsFunc(mapKeys(have), func(p netip.Prefix) bool { return p.Addr().IsLinkLocalUnicast() }) {
		t.Errorf("link-local address removed: %v", have)
	}
}

func checkDefaultRoute(t *testing.T, l netlink.Link, gw string) {
	t.Helper()
	routes, err := netlink.RouteList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		isDefault := r.Dst == nil || (r.Dst.IP.IsUnspecified() && func() bool { o, _ := r.Dst.Mask.Size(); return o == 0 }())
		if isDefault && r.Gw.String() == gw {
			return
		}
	}
	t.Errorf("no default route via %s on %s: %v", gw, l.Attrs().Name, routes)
}

func mapsEqual(a, b map[netip.Prefix]uint8) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func mapKeys(m map[netip.Prefix]uint8) []netip.Prefix {
	var out []netip.Prefix
	for k := range m {
		out = append(out, k)
	}
	return out
}
