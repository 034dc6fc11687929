package testbed

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// Addrs lists the IPv4 and IPv6 addresses on a node's device.
func (b *Bed) Addrs(node, dev string) ([]netip.Prefix, error) {
	out, err := b.ip(node, "-j", "addr", "show", "dev", dev)
	if err != nil {
		return nil, err
	}
	var links []struct {
		AddrInfo []struct {
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("testbed: %s: parse ip addr of %s: %w", node, dev, err)
	}
	var ps []netip.Prefix
	for _, l := range links {
		for _, a := range l.AddrInfo {
			addr, err := netip.ParseAddr(a.Local)
			if err != nil {
				continue
			}
			ps = append(ps, netip.PrefixFrom(addr, a.PrefixLen))
		}
	}
	return ps, nil
}

// HasAddr reports whether a node's device carries addr. An error (for
// example a dead node's namespace being gone) counts as false.
func (b *Bed) HasAddr(node, dev string, addr netip.Addr) bool {
	ps, err := b.Addrs(node, dev)
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.Addr() == addr {
			return true
		}
	}
	return false
}

// MAC returns a device's hardware address, as "aa:bb:cc:dd:ee:ff".
func (b *Bed) MAC(node, dev string) (string, error) {
	out, err := b.ip(node, "-j", "link", "show", "dev", dev)
	if err != nil {
		return "", err
	}
	var links []struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		return "", fmt.Errorf("testbed: %s: parse ip link of %s: %v", node, dev, err)
	}
	return links[0].Address, nil
}

// ClientNeigh returns the MAC the client's neighbour table holds for ip
// ("" when it has no usable entry): which node the client sends the VIP to.
func (b *Bed) ClientNeigh(ip netip.Addr) (string, error) {
	out, err := b.ip(Client, "-j", "neigh", "show", "to", ip.String(), "dev", "eth0")
	if err != nil {
		return "", err
	}
	var ns []struct {
		LLAddr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal([]byte(out), &ns); err != nil {
		return "", fmt.Errorf("testbed: parse client neigh: %w", err)
	}
	for _, n := range ns {
		if n.LLAddr != "" {
			return n.LLAddr, nil
		}
	}
	return "", nil
}
