package netcfg

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/vishvananda/netlink"
)

func ack(t *testing.T, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	base := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.ParseIP("192.0.2.80")),
		dhcpv4.WithServerIP(net.ParseIP("192.0.2.1")),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP("192.0.2.1"))),
		dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(24, 32))),
	}
	m, err := dhcpv4.New(append(base, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseAckTimes(t *testing.T) {
	start := time.Unix(1000, 0)
	lease := dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(100 * time.Second))
	for _, tc := range []struct {
		name         string
		mods         []dhcpv4.Modifier
		scale        float64
		lt, t1, t2   time.Duration
		wantErr, inf bool
	}{
		{name: "defaults", mods: []dhcpv4.Modifier{lease}, scale: 1, lt: 100 * time.Second, t1: 50 * time.Second, t2: 87500 * time.Millisecond},
		{name: "scaled", mods: []dhcpv4.Modifier{lease, dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(40 * time.Second)), dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(80 * time.Second))},
			scale: 0.1, lt: 10 * time.Second, t1: 4 * time.Second, t2: 8 * time.Second},
		{name: "T1 after T2 clamped", mods: []dhcpv4.Modifier{lease, dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(90 * time.Second)), dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(60 * time.Second))},
			scale: 1, lt: 100 * time.Second, t1: 50 * time.Second, t2: 60 * time.Second},
		{name: "infinite", mods: []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(infiniteLease))}, scale: 1, lt: infiniteLease, inf: true},
		{name: "no lease time", scale: 1, wantErr: true},
	} {
		b, err := parseAck("tnc0", ack(t, tc.mods...), start, tc.scale)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: parseAck = nil error, want one", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b.LeaseTime != tc.lt || b.T1 != tc.t1 || b.T2 != tc.t2 || b.infinite != tc.inf {
			t.Errorf("%s: lease %v T1 %v T2 %v inf %v, want %v %v %v %v", tc.name, b.LeaseTime, b.T1, b.T2, b.infinite, tc.lt, tc.t1, tc.t2, tc.inf)
		}
		if b.Addr.String() != "192.0.2.80/24" || b.Server.String() != "192.0.2.1" {
			t.Errorf("%s: addr %s server %s", tc.name, b.Addr, b.Server)
		}
	}
}

func TestMatchLinksErrors(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	link := func(i int, name, m string) netlink.Link {
		return &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: i, Name: name, HardwareAddr: mac(m)}}
	}
	links := []netlink.Link{link(1, "lo", "00:00:00:00:00:00"), link(2, "eth0", "02:00:00:00:00:01"), link(3, "eth1", "02:00:00:00:00:02")}
	for _, tc := range []struct {
		in   []Interface
		want string
	}{
		{[]Interface{{Name: "eth0"}, {Name: "eth0"}}, "listed twice"},
		{[]Interface{{Name: "a", MAC: mac("02:00:00:00:00:01")}, {Name: "b", MAC: mac("02:00:00:00:00:01")}}, "both match"},
		{[]Interface{{Name: "this-name-is-too-long"}}, "invalid interface name"},
		{[]Interface{{Name: "eth2"}}, `no link with name "eth2"`},
	} {
		if _, err := matchLinks(tc.in, links); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("matchLinks(%v) error = %v, want %q", tc.in, err, tc.want)
		}
	}
	plan, err := matchLinks([]Interface{{Name: "eth1", MAC: mac("02:00:00:00:00:01")}, {Name: "eth0", MAC: mac("02:00:00:00:00:02")}}, links)
	if err != nil || plan["eth1"] != 2 || plan["eth0"] != 3 {
		t.Errorf("matchLinks(swap) = %v, %v; want eth1->2 eth0->3", plan, err)
	}
}
