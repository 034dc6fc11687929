// Package keepalived runs the classic hand-made HA setup on the testbed, as
// the baseline tandem is measured against: the real keepalived (VRRP on the
// data LAN, moving the VIP) and the real HAProxy on lb1 and lb2, with a
// vrrp_script that gives up the VIP when the local HAProxy dies.
package keepalived

import (
	"fmt"
	"strings"

	"tandem/test/testbed"
)

// Variant is a keepalived timing setting.
type Variant struct {
	Name      string
	Version   int    // VRRP version: 2, or 3 for sub-second adverts
	AdvertInt string // seconds, as keepalived reads it
}

var (
	// Default is keepalived's stock timing: VRRPv2, one advert a second.
	Default = Variant{Name: "advert_int 1", Version: 2, AdvertInt: "1"}
	// Fastest is the smallest advert_int keepalived 2.2.7 accepts: VRRPv3
	// counts adverts in centiseconds, so 0.01. Tried: 0.005 is rejected as
	// "outside range [0.010000, 255.000000]" and the default 1 s is used.
	Fastest = Variant{Name: "advert_int 0.01", Version: 3, AdvertInt: "0.01"}
)

// Variants are both, in table order.
var Variants = []Variant{Default, Fastest}

// keepalivedConf renders one node's configuration. lb1 starts MASTER with the
// higher priority, lb2 BACKUP.
//
// VRRP uses multicast, keepalived's default and what a hand-made setup on one
// LAN uses: the testbed's LAN is an isolated bridge with snooping off, so no
// other router can share the VRID and multicast needs no peer list.
//
// The health check cannot be `killall -0 haproxy` or `pidof haproxy` as in
// the usual recipe: all namespaces share one pid namespace here, so those
// would see the other node's HAProxy and never fail. The script instead
// looks for an haproxy whose network namespace is its own.
func keepalivedConf(node string, v Variant, checkScript string) string {
	state, prio := "MASTER", 150
	if node == testbed.LB2 {
		state, prio = "BACKUP", 100
	}
	return fmt.Sprintf(`global_defs {
	router_id %[1]s
	vrrp_version %[2]d
	script_user root
}

vrrp_script chk_haproxy {
	script "%[3]s"
	interval 1
	fall 1
	rise 1
}

vrrp_instance VI_1 {
	state %[4]s
	interface eth0
	virtual_router_id 80
	priority %[5]d
	advert_int %[6]s
	virtual_ipaddress {
		%[7]s dev eth0
	}
	track_script {
		chk_haproxy
	}
}
`, node, v.Version, checkScript, state, prio, v.AdvertInt, testbed.VIP)
}

// checkScript succeeds when an haproxy process runs in the caller's network
// namespace.
const checkScript = `#!/bin/sh
me=$(readlink /proc/self/ns/net)
for p in $(pidof haproxy); do
	[ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$me" ] && exit 0
done
exit 1
`

// haproxyConf balances the VIP to both backends. Binding the VIP works on
// the standby too thanks to ip_nonlocal_bind, so a takeover only moves the
// address.
func haproxyConf() string {
	var servers strings.Builder
	for _, w := range []string{testbed.Web1, testbed.Web2} {
		fmt.Fprintf(&servers, "\tserver %s %s:80 check inter 1s\n", w, testbed.DataAddrs[w].Addr())
	}
	return fmt.Sprintf(`global
	maxconn 1000

defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s

frontend vip
	bind %s:80
	default_backend web

backend web
	balance roundrobin
%s`, testbed.VIP.Addr(), servers.String())
}
