package vip

import (
	"fmt"
	"net"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
)

// linkInfo is what sending on a link needs: its index and MAC.
func linkInfo(name string) (*net.Interface, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("vip: link %s: %w", name, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("vip: link %s: not an Ethernet link (hardware address %q)", name, ifi.HardwareAddr)
	}
	return ifi, nil
}

// listenARP opens a raw packet socket that sees only ARP frames.
func listenARP(ifi *net.Interface) (*packet.Conn, error) {
	c, err := packet.Listen(ifi, packet.Raw, etherTypeARP, nil)
	if err != nil {
		return nil, fmt.Errorf("vip: open ARP socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// naFilter admits only ICMPv6 neighbour advertisements without extension
// headers, so the IPv6 socket is not woken for ordinary traffic.
func naFilter() ([]bpf.RawInstruction, error) {
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeIPv6, SkipTrue: 5},
		bpf.LoadAbsolute{Off: etherHdrLen + 6, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 58, SkipTrue: 3},
		bpf.LoadAbsolute{Off: etherHdrLen + ipv6HdrLen, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(icmpTypeNA), SkipTrue: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
}

// listenNA opens a raw packet socket for IPv6 that sees only neighbour
// advertisements; it is also used to send NDP frames.
func listenNA(ifi *net.Interface) (*packet.Conn, error) {
	filter, err := naFilter()
	if err != nil {
		return nil, fmt.Errorf("vip: assemble NA filter: %w", err)
	}
	c, err := packet.Listen(ifi, packet.Raw, etherTypeIPv6, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("vip: open IPv6 socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// dialSend opens a packet socket for sending frames of one EtherType. A
// filter that admits nothing keeps its receive queue empty.
func dialSend(ifi *net.Interface, etherType int) (*packet.Conn, error) {
	filter, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err != nil {
		return nil, fmt.Errorf("vip: assemble drop filter: %w", err)
	}
	c, err := packet.Listen(ifi, packet.Raw, etherType, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("vip: open send socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// sendFrame writes a complete Ethernet frame to the frame's own
// destination address.
func sendFrame(c *packet.Conn, frame []byte) error {
	_, err := c.WriteTo(frame, &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])})
	return err
}

// closeAsync closes a packet socket without waiting: the kernel's
// packet_release waits for an RCU grace period (synchronize_net), which
// takes 4-16 ms on a busy host, and nothing depends on the close.
func closeAsync(c *packet.Conn) {
	go c.Close()
}
