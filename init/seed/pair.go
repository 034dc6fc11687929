package seed

import (
	"fmt"
	"net/netip"
	"slices"
)

// CheckPair checks that two valid seeds describe the two nodes of one
// cluster: same cluster, key, VIPs and failover policy, distinct names, and
// interlink addresses that point at each other.
func CheckPair(a, b *Config) error {
	var ps Problems
	add := func(c *Config, path []string, format string, args ...any) {
		p := c.pos.lookup(path)
		ps = append(ps, Problem{File: c.Source, Line: p.line, Col: p.col,
			Key: keyPath(path), Msg: fmt.Sprintf(format, args...)})
	}
	if a.Node.Name == b.Node.Name {
		add(b, []string{"node", "name"}, "%q is also the name of %s; the nodes need distinct names", b.Node.Name, a.Source)
	}
	if a.Node.Cluster != b.Node.Cluster {
		add(b, []string{"node", "cluster"}, "%q differs from %q in %s", b.Node.Cluster, a.Node.Cluster, a.Source)
	}
	if a.Node.Key != b.Node.Key {
		add(b, []string{"node", "key"}, "differs from the key in %s; both nodes need the same key", a.Source)
	}
	if !slices.Equal(vipAddrs(a), vipAddrs(b)) {
		add(b, []string{"vip"}, "VIPs %v differ from %v in %s", vipAddrs(b), vipAddrs(a), a.Source)
	}
	pointsAt := func(from, to *Config) {
		if !slices.Contains(from.Interlink.Peers, to.Interlink.Address.Addr()) {
			add(from, []string{"interlink", "peers"}, "%v does not include %s, the interlink address of %s", from.Interlink.Peers, to.Interlink.Address.Addr(), describe(to))
		}
	}
	pointsAt(a, b)
	pointsAt(b, a)
	if a.Interlink.Address.Masked() != b.Interlink.Address.Masked() {
		add(b, []string{"interlink", "address"}, "subnet %s differs from %s in %s", b.Interlink.Address.Masked(), a.Interlink.Address.Masked(), a.Source)
	}
	fa, fb := a.Failover, b.Failover
	if fa.Profile != fb.Profile {
		add(b, []string{"failover", "profile"}, "%q differs from %q in %s; both nodes must use the same timing", fb.Profile, fa.Profile, a.Source)
	}
	if fa.Failback != fb.Failback {
		add(b, []string{"failover", "failback"}, "%v differs from %v in %s", fb.Failback, fa.Failback, a.Source)
	}
	if fa.Preferred != fb.Preferred {
		add(b, []string{"failover", "preferred"}, "%q differs from %q in %s", fb.Preferred, fa.Preferred, a.Source)
	}
	if p := fa.Preferred; p != "" && p != a.Node.Name && p != b.Node.Name {
		add(a, []string{"failover", "preferred"}, "%q names neither node (%s, %s)", p, a.Node.Name, b.Node.Name)
	}
	lanPointsAt := func(from, to *Config) {
		if len(from.Failover.LANPeers) == 0 {
			return
		}
		for _, p := range from.Failover.LANPeers {
			if hasAddress(to, p) {
				return
			}
		}
		add(from, []string{"failover", "lan_peers"}, "%v names no data address of %s", from.Failover.LANPeers, describe(to))
	}
	lanPointsAt(a, b)
	lanPointsAt(b, a)
	if len(ps) > 0 {
		return ps.sorted()
	}
	return nil
}

func vipAddrs(c *Config) []netip.Prefix {
	out := make([]netip.Prefix, len(c.VIPs))
	for i, v := range c.VIPs {
		out[i] = v.Address
	}
	slices.SortFunc(out, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	return out
}

func hasAddress(c *Config, a netip.Addr) bool {
	for _, d := range c.Interfaces {
		if d.DHCP {
			return true // unknown until leased: do not guess
		}
		for _, p := range d.Addresses {
			if p.Addr() == a {
				return true
			}
		}
	}
	return false
}
