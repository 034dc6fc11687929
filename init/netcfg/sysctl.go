package netcfg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// procSys is where sysctls live; tests point it elsewhere.
var procSys = "/proc/sys"

// SetSysctl writes value to the sysctl key. The key is dotted
// ("net.ipv4.ip_forward") or slashed ("net/ipv4/conf/eth0.10/proxy_arp");
// use the slashed form when a component (an interface name) holds a dot.
func SetSysctl(key, value string) error {
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	rel = filepath.Clean(rel)
	if rel == "." || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("netcfg: sysctl %s: invalid key", key)
	}
	if err := os.WriteFile(filepath.Join(procSys, rel), []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("netcfg: sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

// ApplyLBSysctls sets what a VIP holder needs:
//   - ip_nonlocal_bind (IPv4 and IPv6) = 1, so the standby's HAProxy can
//     bind the VIP before it holds it;
//   - conf.all.arp_ignore = 1 and arp_announce = 2, so on a multi-NIC node
//     each NIC answers ARP only for its own addresses and uses the best
//     local source in its requests (no ARP flux);
//   - proxy_arp = 0 on each VIP link, so the node never answers for
//     addresses it does not hold;
//   - promote_secondaries = 1 (all and each VIP link), so deleting a
//     node's primary address does not take the VIP, a secondary, with it;
//   - ip_forward = 0: a load balancer terminates connections (HAProxy
//     proxies them), it is not a router, and forwarding would let traffic
//     cross between the data LAN and the interlink.
//
// It sets every key it can and returns the errors, each naming its key.
func ApplyLBSysctls(vipLinks []string) error {
	settings := [][2]string{
		{"net.ipv4.ip_nonlocal_bind", "1"},
		{"net.ipv6.ip_nonlocal_bind", "1"},
		{"net.ipv4.conf.all.arp_ignore", "1"},
		{"net.ipv4.conf.all.arp_announce", "2"},
		{"net.ipv4.conf.all.promote_secondaries", "1"},
		{"net.ipv4.ip_forward", "0"},
	}
	for _, l := range vipLinks {
		if err := validName(l); err != nil {
			return err
		}
		settings = append(settings,
			[2]string{"net/ipv4/conf/" + l + "/proxy_arp", "0"},
			[2]string{"net/ipv4/conf/" + l + "/promote_secondaries", "1"})
	}
	var errs []error
	for _, s := range settings {
		if err := SetSysctl(s[0], s[1]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
