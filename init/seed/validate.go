package seed

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
)

// hostnameRE is an RFC 1123 label, the form node names and host names take.
var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func validHostname(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range splitDots(s) {
		if !hostnameRE.MatchString(label) {
			return false
		}
	}
	return true
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func idx(i int) string { return strconv.Itoa(i) }

// validate checks what the schema alone cannot: required values, ranges and
// how the addresses relate to each other.
func (r *reader) validate(c *Config) {
	r.validateNode(c)
	r.validateInterlink(c)
	r.validateInterfaces(c)
	r.validateVIPs(c)
	r.validateFailover(c)
	r.validateHosts(c)
	if c.HAProxy.File == "" && c.HAProxy.Config == "" {
		r.add([]string{"haproxy"}, "set config_file (a path, relative to the seed) or config (inline text)")
	}
	if c.HAProxy.File != "" && c.HAProxy.Config != "" {
		r.add([]string{"haproxy", "config"}, "config and config_file are exclusive; keep one")
	}
}

func (r *reader) validateNode(c *Config) {
	n := c.Node
	switch {
	case n.Name == "":
		r.add([]string{"node", "name"}, "missing; want this node's name, e.g. haproxy1")
	case !hostnameRE.MatchString(n.Name):
		r.add([]string{"node", "name"}, "%q is not a valid host name (letters, digits and '-', at most 63)", n.Name)
	}
	if n.Cluster == "" {
		r.add([]string{"node", "cluster"}, "missing; want the cluster's name, the same on both nodes")
	}
	switch {
	case n.Key == "":
		r.add([]string{"node", "key"}, "missing; want a shared secret of at least %d characters, the same on both nodes", MinKeyLength)
	case len(n.Key) < MinKeyLength:
		r.add([]string{"node", "key"}, "is %d characters, want at least %d", len(n.Key), MinKeyLength)
	}
}

func (r *reader) validateInterlink(c *Config) {
	il := c.Interlink
	path := func(k string) []string { return []string{"interlink", k} }
	if il.Name == "" {
		r.add(path("interface"), "missing; want the interlink NIC's name (with mac to match it by MAC)")
	}
	if !il.Address.IsValid() {
		r.add(path("address"), "missing; want this node's interlink address with prefix, e.g. 10.1.1.1/24")
	}
	if len(il.Peers) == 0 {
		r.add(path("peers"), "missing; want the peer's interlink address, e.g. [\"10.1.1.2\"]")
	}
	for _, p := range il.Peers {
		if !il.Address.IsValid() {
			break
		}
		switch {
		case p == il.Address.Addr():
			r.add(path("peers"), "%s is this node's own interlink address; want the peer's", p)
		case !il.Address.Masked().Contains(p):
			r.add(path("peers"), "%s is outside the interlink subnet %s", p, il.Address.Masked())
		}
	}
	for i, d := range c.Interfaces {
		if d.Name != "" && d.Name == il.Name {
			r.add([]string{"interface", idx(i), "name"}, "%q is the interlink NIC; the interlink must be a NIC of its own", d.Name)
		}
		if d.MAC != nil && il.MAC != nil && d.MAC.String() == il.MAC.String() {
			r.add([]string{"interface", idx(i), "mac"}, "%s is the interlink NIC's MAC", d.MAC)
		}
		for _, a := range d.Addresses {
			if il.Address.IsValid() && a.Masked().Overlaps(il.Address.Masked()) {
				r.add(path("address"), "%s overlaps data interface %s's subnet %s; heartbeats need a network of their own", il.Address, d.Name, a.Masked())
			}
		}
	}
}

func (r *reader) validateInterfaces(c *Config) {
	if len(c.Interfaces) == 0 {
		r.add([]string{"interface"}, "missing; want at least one [[interface]] for the data network")
	}
	names := map[string]int{}
	for i, d := range c.Interfaces {
		path := func(k string) []string { return []string{"interface", idx(i), k} }
		if d.Name == "" {
			r.add(path("name"), "missing; want the NIC's name, e.g. eth0")
		} else if j, dup := names[d.Name]; dup {
			r.add(path("name"), "%q is also interface[%d]", d.Name, j)
		} else {
			names[d.Name] = i
		}
		if d.DHCP && len(d.Addresses) > 0 {
			r.add(path("addresses"), "set with dhcp = true; use either static addresses or DHCP")
		}
		if !d.DHCP && len(d.Addresses) == 0 {
			r.add(path("addresses"), "missing; want static addresses, e.g. [\"192.168.10.81/24\"], or dhcp = true")
		}
		if d.Gateway.IsValid() && !d.DHCP && !containedIn(d.Gateway, d.Addresses) {
			r.add(path("gateway"), "%s is outside every subnet of this interface", d.Gateway)
		}
		for j, a := range d.Addresses {
			for k := j + 1; k < len(d.Addresses); k++ {
				if a.Addr() == d.Addresses[k].Addr() {
					r.add(path("addresses"), "%s is listed twice", a.Addr())
				}
			}
		}
	}
	for i, d := range c.Interfaces {
		for j := i + 1; j < len(c.Interfaces); j++ {
			e := c.Interfaces[j]
			for _, a := range d.Addresses {
				for _, b := range e.Addresses {
					if a.Masked().Overlaps(b.Masked()) {
						r.add([]string{"interface", idx(j), "addresses"}, "%s overlaps %s on interface[%d]", b, a, i)
					}
				}
			}
		}
	}
}

func containedIn(a netip.Addr, nets []netip.Prefix) bool {
	for _, n := range nets {
		if n.Masked().Contains(a) {
			return true
		}
	}
	return false
}

func (r *reader) validateVIPs(c *Config) {
	if len(c.VIPs) == 0 {
		r.add([]string{"vip"}, "missing; want at least one [[vip]] with address and interface")
	}
	seen := map[netip.Addr]int{}
	for i, v := range c.VIPs {
		path := func(k string) []string { return []string{"vip", idx(i), k} }
		if !v.Address.IsValid() {
			r.add(path("address"), "missing; want the virtual address with prefix, e.g. 192.168.10.80/24")
			continue
		}
		if j, dup := seen[v.Address.Addr()]; dup {
			r.add(path("address"), "%s is also vip[%d]", v.Address.Addr(), j)
		}
		seen[v.Address.Addr()] = i
		if c.Interlink.Address.IsValid() && c.Interlink.Address.Masked().Contains(v.Address.Addr()) {
			r.add(path("address"), "%s is in the interlink subnet; a VIP belongs on a data interface", v.Address)
		}
		if v.Interface == "" {
			r.add(path("interface"), "missing; want the data interface that carries this VIP")
			continue
		}
		d, ok := c.Interface(v.Interface)
		if !ok {
			r.add(path("interface"), "%q is not a data interface; want one of the [[interface]] names", v.Interface)
			continue
		}
		if d.DHCP {
			continue // the subnet is known only once a lease arrives
		}
		r.vipInSubnet(v, d, path("address"))
	}
}

func (r *reader) vipInSubnet(v VIP, d Interface, path []string) {
	for _, a := range d.Addresses {
		if a.Addr() == v.Address.Addr() {
			r.add(path, "%s is interface %s's own address; a VIP must be an address of its own", v.Address.Addr(), d.Name)
			return
		}
	}
	for _, a := range d.Addresses {
		if a.Masked().Contains(v.Address.Addr()) {
			if a.Bits() != v.Address.Bits() {
				r.add(path, "%s has prefix length %d, but interface %s's subnet is %s", v.Address, v.Address.Bits(), d.Name, a.Masked())
			}
			return
		}
	}
	r.add(path, "%s is outside interface %s's subnets (%s)", v.Address, d.Name, fmtPrefixes(d.Addresses))
}

func fmtPrefixes(ps []netip.Prefix) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.Masked().String()
	}
	return s
}

func (r *reader) validateFailover(c *Config) {
	f := c.Failover
	path := func(k string) []string { return []string{"failover", k} }
	if f.MigrationThreshold < 1 {
		r.add(path("migration_threshold"), "%d is out of range, want 1 or more (1 moves the VIP on the first HAProxy failure)", f.MigrationThreshold)
	}
	if f.Profile != ProfileDefault && f.Profile != ProfileFast {
		r.add(path("profile"), "%q is not a timing profile, want %q or %q", f.Profile, ProfileDefault, ProfileFast)
	}
	if f.Preferred != "" && !hostnameRE.MatchString(f.Preferred) {
		r.add(path("preferred"), "%q is not a valid node name", f.Preferred)
	}
	if f.Failback && f.Preferred == "" {
		r.add(path("failback"), "is true but no preferred node is set; failback moves the VIP back to failover.preferred")
	}
	for _, p := range f.LANPeers {
		if !containedInAny(p, c.Interfaces) {
			r.add(path("lan_peers"), "%s is outside every data interface subnet", p)
		}
	}
}

func containedInAny(a netip.Addr, ifs []Interface) bool {
	for _, d := range ifs {
		if d.DHCP || containedIn(a, d.Addresses) {
			return true
		}
	}
	return false
}

func (r *reader) validateHosts(c *Config) {
	for i, h := range c.Hosts {
		path := func(k string) []string { return []string{"hosts", idx(i), k} }
		if !h.Address.IsValid() {
			r.add(path("address"), "missing; want the address these names resolve to")
		}
		if len(h.Names) == 0 {
			r.add(path("names"), "missing; want one or more host names")
		}
		for _, n := range h.Names {
			if !validHostname(n) {
				r.add(path("names"), "%q is not a valid host name", n)
			}
		}
	}
}

// describe is used in messages that name a peer's seed.
func describe(c *Config) string { return fmt.Sprintf("%s (%s)", c.Source, c.Node.Name) }
