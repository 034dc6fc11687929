package runtime

import (
	"net"
	"net/netip"
	"testing"

	"tandem/init/failover"
	"tandem/init/seed"
)

func TestBroadcast(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.168.10.81/24", "192.168.10.255"},
		{"10.1.1.1/30", "10.1.1.3"},
		{"172.16.5.9/12", "172.31.255.255"},
	} {
		if got := broadcast(netip.MustParsePrefix(tc.in)); got.String() != tc.want {
			t.Errorf("broadcast(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestLANPath(t *testing.T) {
	static := seed.Interface{Match: seed.Match{Name: "eth0"}, Addresses: []netip.Prefix{
		netip.MustParsePrefix("2001:db8::81/64"), netip.MustParsePrefix("192.168.10.81/24")}}
	peer := []netip.Addr{netip.MustParseAddr("192.168.10.82")}

	p := lanPath(static, peer)
	if p.Local.String() != "192.168.10.81" || p.Peers[0] != peer[0] || p.Device != "eth0" {
		t.Errorf("unicast path = %+v, want local .81 to .82 on eth0", p)
	}
	p = lanPath(static, nil)
	if !p.Local.IsUnspecified() || p.Peers[0].String() != "192.168.10.255" {
		t.Errorf("broadcast path = %+v, want wildcard to 192.168.10.255", p)
	}
	p = lanPath(seed.Interface{Match: seed.Match{Name: "eth0"}, DHCP: true}, nil)
	if !p.Local.IsUnspecified() || p.Peers[0].String() != "255.255.255.255" {
		t.Errorf("DHCP path = %+v, want wildcard to 255.255.255.255", p)
	}
}

func TestPeerNamesAgree(t *testing.T) {
	// Each node names both peers from interlink addresses: the two seeds
	// must produce the same names without knowing each other's node name.
	a := &seed.Config{Interlink: seed.Interlink{Address: netip.MustParsePrefix("10.1.1.1/24"),
		Peers: []netip.Addr{netip.MustParseAddr("10.1.1.2")}}}
	b := &seed.Config{Interlink: seed.Interlink{Address: netip.MustParsePrefix("10.1.1.2/24"),
		Peers: []netip.Addr{netip.MustParseAddr("10.1.1.1")}}}
	pa, pb := haproxyPeers(a), haproxyPeers(b)
	if pa[0].Name != pb[1].Name || pa[1].Name != pb[0].Name || pa[0].Name == pa[1].Name {
		t.Errorf("peers %v and %v do not agree", pa, pb)
	}
	if got := PeerName(netip.MustParseAddr("fd00::1")); got != "nfd00--1" {
		t.Errorf("PeerName(fd00::1) = %q", got)
	}
}

func TestProfiles(t *testing.T) {
	def, hbDef := profileTiming(seed.ProfileDefault)
	fast, hbFast := profileTiming(seed.ProfileFast)
	if def.DeadAfter != hbDef.DeadAfter || fast.DeadAfter != hbFast.DeadAfter || fast.Interval != hbFast.Interval {
		t.Errorf("machine and heartbeat timings disagree: %+v %+v %+v %+v", def, hbDef, fast, hbFast)
	}
	if fast.BanClearAfter != def.BanClearAfter || fast.StartupWait != def.StartupWait {
		t.Errorf("fast profile changes anti-flapping timers: %+v vs %+v", fast, def)
	}
	if tickFor(fast) > fast.DeadAfter/10 || probeWait(seed.ProfileFast) >= fast.DeadAfter {
		t.Errorf("fast tick %s or probe %s too coarse for dead time %s", tickFor(fast), probeWait(seed.ProfileFast), fast.DeadAfter)
	}
}

func TestStatePayload(t *testing.T) {
	mac, _ := net.ParseMAC("AA:BB:CC:00:11:22")
	st := failover.PeerState{Node: "haproxy1", Incarnation: 7, Holds: true, Eligible: true}
	w, err := decodeState(encodeState(st, []net.HardwareAddr{mac}))
	if err != nil || w.State != st || len(w.MACs) != 1 || w.MACs[0] != "aa:bb:cc:00:11:22" {
		t.Errorf("round trip = %+v, %v", w, err)
	}
	for _, bad := range []string{"", "{", `{"s":{}}`, `[1,2]`} {
		if _, err := decodeState([]byte(bad)); err == nil {
			t.Errorf("decodeState(%q) accepted", bad)
		}
	}
}
