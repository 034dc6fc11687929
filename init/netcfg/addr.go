package netcfg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Address protocols (IFA_PROTO) netcfg tags its addresses with. The kernel
// reserves 0-3 (unspec, loopback, RA, link-local); other values are free
// for user space. `ip -d address` shows them as "proto 0xa5" and "proto 0xa6".
const (
	ProtoStatic uint8 = 0xa5
	ProtoDHCP   uint8 = 0xa6
)

// ifaProto is IFA_PROTO, which golang.org/x/sys does not name yet.
const ifaProto = 11

// kernelAddr is one address as the kernel reports it, with the fields the
// vishvananda/netlink Addr type lacks (the protocol tag).
type kernelAddr struct {
	Prefix    netip.Prefix
	Index     int
	Flags     uint32
	Proto     uint8
	Scope     uint8
	ValidLft  uint32 // seconds, 0xffffffff = forever
	Preferred uint32
}

// forever is the kernel's "infinite lifetime".
const forever = ^uint32(0)

// listAddrs returns every address on the link with index idx.
func listAddrs(idx int) ([]kernelAddr, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETADDR, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfAddrmsg(unix.AF_UNSPEC))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWADDR)
	if err != nil {
		return nil, fmt.Errorf("netcfg: list addresses: %w", err)
	}
	var out []kernelAddr
	for _, m := range msgs {
		if len(m) < unix.SizeofIfAddrmsg {
			continue
		}
		msg := nl.DeserializeIfAddrmsg(m)
		if int(msg.Index) != idx {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, fmt.Errorf("netcfg: parse address: %w", err)
		}
		a := kernelAddr{Index: idx, Flags: uint32(msg.Flags), Scope: msg.Scope,
			ValidLft: forever, Preferred: forever}
		var local, address []byte
		for _, at := range attrs {
			switch at.Attr.Type {
			case unix.IFA_LOCAL:
				local = at.Value
			case unix.IFA_ADDRESS:
				address = at.Value
			case unix.IFA_FLAGS:
				if len(at.Value) >= 4 {
					a.Flags = binary.NativeEndian.Uint32(at.Value)
				}
			case ifaProto:
				if len(at.Value) >= 1 {
					a.Proto = at.Value[0]
				}
			case unix.IFA_CACHEINFO:
				if len(at.Value) >= unix.SizeofIfaCacheinfo {
					ci := nl.DeserializeIfaCacheInfo(at.Value)
					a.Preferred, a.ValidLft = ci.Prefered, ci.Valid
				}
			}
		}
		// IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on
		// point-to-point links and equal to it otherwise (IPv6 sends only it).
		raw := local
		if raw == nil {
			raw = address
		}
		ip, ok := netip.AddrFromSlice(raw)
		if !ok {
			continue
		}
		a.Prefix = netip.PrefixFrom(ip.Unmap(), int(msg.Prefixlen))
		out = append(out, a)
	}
	return out, nil
}

// addrSpec is an address to add or replace.
type addrSpec struct {
	Prefix    netip.Prefix
	Proto     uint8
	Valid     time.Duration // 0 = forever
	Preferred time.Duration // 0 = forever
}

// replaceAddr adds the address to the link or updates its lifetimes.
// IPv6 addresses get IFA_F_NODAD: the seed owns them, and a tentative
// address cannot be bound until DAD finishes.
func replaceAddr(idx int, s addrSpec) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
	ip := s.Prefix.Addr().Unmap()
	family := unix.AF_INET6
	if ip.Is4() {
		family = unix.AF_INET
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Index = uint32(idx)
	msg.Prefixlen = uint8(s.Prefix.Bits())
	req.AddData(msg)
	raw := ip.AsSlice()
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, raw))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, raw))
	var flags uint32
	if family == unix.AF_INET6 {
		flags |= unix.IFA_F_NODAD
	}
	fb := make([]byte, 4)
	binary.NativeEndian.PutUint32(fb, flags)
	req.AddData(nl.NewRtAttr(unix.IFA_FLAGS, fb))
	if family == unix.AF_INET && s.Prefix.Bits() < 31 {
		req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, broadcast(s.Prefix).AsSlice()))
	}
	req.AddData(nl.NewRtAttr(ifaProto, []byte{s.Proto}))
	if s.Valid > 0 || s.Preferred > 0 {
		ci := nl.IfaCacheInfo{IfaCacheinfo: unix.IfaCacheinfo{
			Valid:    lifetimeSeconds(s.Valid),
			Prefered: lifetimeSeconds(s.Preferred),
		}}
		req.AddData(nl.NewRtAttr(unix.IFA_CACHEINFO, ci.Serialize()))
	}
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("netcfg: add address %s on link %d: %w", s.Prefix, idx, err)
	}
	return nil
}

// lifetimeSeconds rounds a lifetime up to whole seconds; 0 means forever.
func lifetimeSeconds(d time.Duration) uint32 {
	if d <= 0 {
		return forever
	}
	s := (d + time.Second - 1) / time.Second
	if s >= time.Duration(forever) {
		return forever - 1
	}
	return uint32(s)
}

// delAddr removes the address; an address already gone is not an error.
func delAddr(idx int, p netip.Prefix) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELADDR, unix.NLM_F_ACK)
	ip := p.Addr().Unmap()
	family := unix.AF_INET6
	if ip.Is4() {
		family = unix.AF_INET
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Index = uint32(idx)
	msg.Prefixlen = uint8(p.Bits())
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, ip.AsSlice()))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENODEV) {
			return nil
		}
		return fmt.Errorf("netcfg: remove address %s from link %d: %w", p, idx, err)
	}
	return nil
}

// broadcast returns the IPv4 directed broadcast address of p.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := binary.BigEndian.Uint32(b[:]) | host
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}
