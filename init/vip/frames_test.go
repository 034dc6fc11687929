package vip

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"golang.org/x/net/bpf"
)

var testMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}

func TestGARPFrames(t *testing.T) {
	ip := netip.MustParseAddr("192.168.10.80")
	frames, err := garpFrames(testMAC, ip)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 {
		t.Fatalf("got %d frames, want request and reply", len(frames))
	}
	for i, f := range frames {
		if len(f) != minFrameLen || !bytes.Equal(f[0:6], broadcastMAC) || !bytes.Equal(f[6:12], testMAC) {
			t.Fatalf("frame %d: bad Ethernet header or length %d", i, len(f))
		}
		p, err := parseARP(f)
		if err != nil {
			t.Fatal(err)
		}
		if p.SenderIP != ip || p.TargetIP != ip || !bytes.Equal(p.SenderHardwareAddr, testMAC) {
			t.Errorf("frame %d: %+v is not gratuitous for %s", i, p, ip)
		}
	}
	req, _ := parseARP(frames[0])
	rep, _ := parseARP(frames[1])
	if req.Operation != arp.OperationRequest || !bytes.Equal(req.TargetHardwareAddr, zeroMAC) {
		t.Errorf("request: %+v", req)
	}
	// Linux counts a reply as gratuitous only if target MAC == sender MAC.
	if rep.Operation != arp.OperationReply || !bytes.Equal(rep.TargetHardwareAddr, testMAC) {
		t.Errorf("reply: %+v", rep)
	}
}

func TestARPProbeFrame(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.9")
	f, err := arpProbeFrame(testMAC, ip)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseARP(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.Operation != arp.OperationRequest || p.SenderIP != netip.IPv4Unspecified() || p.TargetIP != ip {
		t.Errorf("probe: %+v", p)
	}
}

func TestNDPFramesAndFilter(t *testing.T) {
	ip := netip.MustParseAddr("2001:db8::80")
	na, err := unsolicitedNAFrame(testMAC, ip)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(na[0:6], net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}) {
		t.Errorf("NA Ethernet destination %v, want all-nodes group", net.HardwareAddr(na[0:6]))
	}
	got, err := parseNA(na)
	if err != nil {
		t.Fatal(err)
	}
	if got.Target != ip || !bytes.Equal(got.MAC, testMAC) {
		t.Errorf("parsed NA %+v", got)
	}
	ns, err := dadNSFrame(testMAC, ip)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ns[0:6], net.HardwareAddr{0x33, 0x33, 0xff, 0, 0, 0x80}) {
		t.Errorf("NS Ethernet destination %v, want solicited-node group", net.HardwareAddr(ns[0:6]))
	}
	if !netip.AddrFrom16([16]byte(ns[etherHdrLen+8 : etherHdrLen+24])).IsUnspecified() {
		t.Error("DAD solicitation must come from ::")
	}
	if _, err := parseNA(ns); err == nil {
		t.Error("parseNA accepted a solicitation")
	}
	garp, _ := garpFrames(testMAC, netip.MustParseAddr("192.0.2.1"))

	raw, err := naFilter()
	if err != nil {
		t.Fatal(err)
	}
	insns, _ := bpf.Disassemble(raw)
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		frame []byte
		pass  bool
	}{{"NA", na, true}, {"NS", ns, false}, {"ARP", garp[0], false}} {
		n, err := vm.Run(c.frame)
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != c.pass {
			t.Errorf("filter on %s: kept %d bytes, want pass=%v", c.name, n, c.pass)
		}
	}
}

func TestValidate(t *testing.T) {
	good := []VIP{
		{netip.MustParsePrefix("192.168.10.80/24"), "eth0"},
		{netip.MustParsePrefix("2001:db8::80/64"), "eth0"},
	}
	for _, v := range good {
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	bad := []VIP{
		{},
		{netip.MustParsePrefix("192.168.10.80/24"), ""},
		{netip.MustParsePrefix("192.168.10.80/24"), "a-very-long-link-name"},
		{netip.MustParsePrefix("0.0.0.0/0"), "eth0"},
		{netip.MustParsePrefix("224.0.0.1/32"), "eth0"},
		{netip.MustParsePrefix("fe80::1/64"), "eth0"},
		{netip.MustParsePrefix("::ffff:10.0.0.1/120"), "eth0"},
	}
	for _, v := range bad {
		if err := v.Validate(); err == nil {
			t.Errorf("%s: accepted", v)
		}
	}
	if _, err := NewHolder(Config{}); err == nil {
		t.Error("NewHolder accepted no VIPs")
	}
	if _, err := NewHolder(Config{VIPs: good, Schedule: []time.Duration{time.Second, 0}}); err == nil {
		t.Error("NewHolder accepted a descending schedule")
	}
	if got := good[0].ipNet().String(); got != "192.168.10.80/24" {
		t.Errorf("ipNet = %s, want the host address kept", got)
	}
}
