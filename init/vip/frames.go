package vip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"golang.org/x/net/ipv6"
)

// Ethernet framing is built by hand: a header is 14 bytes and the only
// subtlety is padding to the 60-byte minimum.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
	etherHdrLen   = 14
	ipv6HdrLen    = 40
	minFrameLen   = 60
)

var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	zeroMAC      = net.HardwareAddr{0, 0, 0, 0, 0, 0}
	allNodes     = netip.MustParseAddr("ff02::1")
)

// etherFrame prepends an Ethernet header and pads to the minimum size.
func etherFrame(dst, src net.HardwareAddr, etherType uint16, payload []byte) []byte {
	n := max(etherHdrLen+len(payload), minFrameLen)
	b := make([]byte, n)
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etherType)
	copy(b[etherHdrLen:], payload)
	return b
}

// arpFrame builds a broadcast Ethernet frame carrying one ARP packet.
func arpFrame(op arp.Operation, srcMAC net.HardwareAddr, srcIP netip.Addr, dstMAC net.HardwareAddr, dstIP netip.Addr) ([]byte, error) {
	p, err := arp.NewPacket(op, srcMAC, srcIP, dstMAC, dstIP)
	if err != nil {
		return nil, err
	}
	pb, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return etherFrame(broadcastMAC, srcMAC, etherTypeARP, pb), nil
}

// garpFrames returns the two gratuitous ARP forms for ip: an RFC 5227
// announcement (request, target MAC zero) and a reply whose target MAC
// equals the sender MAC, which Linux (arp_is_garp) and most switches and
// routers treat as gratuitous. Some devices only honour one of the two.
func garpFrames(mac net.HardwareAddr, ip netip.Addr) ([][]byte, error) {
	req, err := arpFrame(arp.OperationRequest, mac, ip, zeroMAC, ip)
	if err != nil {
		return nil, err
	}
	rep, err := arpFrame(arp.OperationReply, mac, ip, mac, ip)
	if err != nil {
		return nil, err
	}
	return [][]byte{req, rep}, nil
}

// arpProbeFrame builds an RFC 5227 probe: sender IP 0.0.0.0, so that no
// receiver updates its cache from it, target IP the address in question.
func arpProbeFrame(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	return arpFrame(arp.OperationRequest, mac, netip.IPv4Unspecified(), zeroMAC, ip)
}

// parseARP extracts the ARP packet from an Ethernet frame.
func parseARP(frame []byte) (*arp.Packet, error) {
	if len(frame) < etherHdrLen || binary.BigEndian.Uint16(frame[12:14]) != etherTypeARP {
		return nil, errors.New("not an ARP frame")
	}
	var p arp.Packet
	if err := p.UnmarshalBinary(frame[etherHdrLen:]); err != nil {
		return nil, err
	}
	return &p, nil
}

// multicastMAC maps an IPv6 multicast address to its Ethernet group
// address (RFC 2464 section 7).
func multicastMAC(group netip.Addr) net.HardwareAddr {
	a := group.As16()
	return net.HardwareAddr{0x33, 0x33, a[12], a[13], a[14], a[15]}
}

// icmp6Frame wraps an NDP message in IPv6 (hop limit 255, as RFC 4861
// requires) and Ethernet, with the ICMPv6 checksum filled in.
func icmp6Frame(srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, m ndp.Message) ([]byte, error) {
	body, err := ndp.MarshalMessageChecksum(m, src, dst)
	if err != nil {
		return nil, err
	}
	pkt := make([]byte, ipv6HdrLen+len(body))
	pkt[0] = 0x60
	binary.BigEndian.PutUint16(pkt[4:6], uint16(len(body)))
	pkt[6] = 58 // next header: ICMPv6
	pkt[7] = ndp.HopLimit
	s, d := src.As16(), dst.As16()
	copy(pkt[8:24], s[:])
	copy(pkt[24:40], d[:])
	copy(pkt[ipv6HdrLen:], body)
	return etherFrame(dstMAC, srcMAC, etherTypeIPv6, pkt), nil
}

// unsolicitedNAFrame announces ip at mac to all nodes with Override set,
// so receivers replace an existing neighbour entry (RFC 4861 7.2.6).
func unsolicitedNAFrame(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	na := &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: ip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
	return icmp6Frame(mac, multicastMAC(allNodes), ip, allNodes, na)
}

// dadNSFrame builds a duplicate-address-detection style solicitation for
// ip: source ::, destination the solicited-node group, no link-layer
// option (RFC 4862 5.4.2). A holder answers with an NA to all nodes.
func dadNSFrame(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	group, err := ndp.SolicitedNodeMulticast(ip)
	if err != nil {
		return nil, err
	}
	ns := &ndp.NeighborSolicitation{TargetAddress: ip}
	return icmp6Frame(mac, multicastMAC(group), netip.IPv6Unspecified(), group, ns)
}

// parsedNA is the part of a neighbour advertisement that matters here.
type parsedNA struct {
	Target netip.Addr
	MAC    net.HardwareAddr // target link-layer option, else Ethernet source
}

// parseNA extracts a neighbour advertisement from an Ethernet frame. It
// accepts only frames without IPv6 extension headers, which is what NDP
// uses in practice (and what the BPF filter admits).
func parseNA(frame []byte) (*parsedNA, error) {
	if len(frame) < etherHdrLen+ipv6HdrLen || binary.BigEndian.Uint16(frame[12:14]) != etherTypeIPv6 {
		return nil, errors.New("not an IPv6 frame")
	}
	ip := frame[etherHdrLen:]
	if ip[6] != 58 || ip[7] != ndp.HopLimit {
		return nil, errors.New("not an NDP message")
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	if ipv6HdrLen+plen > len(ip) {
		return nil, errors.New("truncated IPv6 packet")
	}
	m, err := ndp.ParseMessage(ip[ipv6HdrLen : ipv6HdrLen+plen])
	if err != nil {
		return nil, err
	}
	na, ok := m.(*ndp.NeighborAdvertisement)
	if !ok {
		return nil, fmt.Errorf("not a neighbour advertisement: %v", m.Type())
	}
	out := &parsedNA{Target: na.TargetAddress, MAC: net.HardwareAddr(append([]byte(nil), frame[6:12]...))}
	for _, o := range na.Options {
		if lla, ok := o.(*ndp.LinkLayerAddress); ok && lla.Direction == ndp.Target {
			out.MAC = lla.Addr
		}
	}
	return out, nil
}

// icmpTypeNA is kept as a byte for the BPF program.
var icmpTypeNA = byte(ipv6.ICMPTypeNeighborAdvertisement)
