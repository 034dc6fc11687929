package seed

// The seed's schema: one function per table, each reading its keys into
// the typed Config. docs/seed.md documents every key read here.

func (r *reader) config(root map[string]any, c *Config) {
	t := r.table(nil, root)
	if n, ok := t.subtable("node"); ok {
		r.node(n, &c.Node)
	} else {
		t.require("node")
	}
	if il, ok := t.subtable("interlink"); ok {
		r.interlink(il, &c.Interlink)
	} else {
		t.require("interlink")
	}
	if list, ok := t.tables("interface"); ok {
		for _, it := range list {
			c.Interfaces = append(c.Interfaces, r.iface(it))
		}
	}
	if list, ok := t.tables("vip"); ok {
		for _, vt := range list {
			c.VIPs = append(c.VIPs, r.vip(vt))
		}
	}
	c.Failover = Failover{Profile: ProfileDefault, MigrationThreshold: DefaultMigrationThreshold}
	if f, ok := t.subtable("failover"); ok {
		r.failover(f, &c.Failover)
	}
	if h, ok := t.subtable("haproxy"); ok {
		r.haproxy(h, &c.HAProxy)
	} else {
		t.require("haproxy")
	}
	if list, ok := t.tables("hosts"); ok {
		for _, ht := range list {
			c.Hosts = append(c.Hosts, r.host(ht))
		}
	}
	t.done("node", "interlink", "interface", "vip", "failover", "haproxy", "hosts")
}

func (r *reader) node(t *table, n *Node) {
	n.Name, _ = t.str("name")
	n.Cluster, _ = t.str("cluster")
	n.Key, _ = t.str("key")
	t.done("name", "cluster", "key")
}

func (r *reader) interlink(t *table, il *Interlink) {
	il.Name, _ = t.str("interface")
	il.MAC, _ = t.mac("mac")
	il.Address, _ = t.prefix("address")
	il.Peers, _ = t.addrs("peers")
	il.MTU = t.mtu("mtu")
	t.done("interface", "mac", "address", "peers", "mtu")
}

func (r *reader) iface(t *table) Interface {
	var i Interface
	i.Name, _ = t.str("name")
	i.MAC, _ = t.mac("mac")
	i.Addresses, _ = t.prefixes("addresses")
	i.DHCP, _ = t.boolean("dhcp")
	i.Gateway, _ = t.addr("gateway")
	i.MTU = t.mtu("mtu")
	i.DNS, _ = t.addrs("dns")
	t.done("name", "mac", "addresses", "dhcp", "gateway", "mtu", "dns")
	return i
}

func (r *reader) vip(t *table) VIP {
	var v VIP
	v.Address, _ = t.prefix("address")
	v.Interface, _ = t.str("interface")
	t.done("address", "interface")
	return v
}

func (r *reader) failover(t *table, f *Failover) {
	if b, ok := t.boolean("failback"); ok {
		f.Failback = b
	}
	f.Preferred, _ = t.str("preferred")
	if n, ok := t.integer("migration_threshold"); ok {
		f.MigrationThreshold = n
	}
	if p, ok := t.str("profile"); ok {
		f.Profile = Profile(p)
	}
	f.LANPeers, _ = t.addrs("lan_peers")
	t.done("failback", "preferred", "migration_threshold", "profile", "lan_peers")
}

func (r *reader) haproxy(t *table, h *HAProxy) {
	h.File, _ = t.str("config_file")
	h.Config, _ = t.str("config")
	t.done("config_file", "config")
}

func (r *reader) host(t *table) HostEntry {
	var h HostEntry
	h.Address, _ = t.addr("address")
	h.Names, _ = t.strings("names")
	t.done("address", "names")
	return h
}
