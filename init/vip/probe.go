package vip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/mdlayher/packet"
)

// probeCount is how many probes go out, spread evenly over the wait: one
// lost frame must not make a held address look free.
const probeCount = 3

// Probe asks the link whether any other host answers for the VIP, and
// returns as soon as one does (typically within a millisecond on a LAN),
// or after wait with answered false.
//
// IPv4: an RFC 5227 ARP probe (sender IP 0.0.0.0, so nobody's cache is
// touched). Any ARP packet whose sender IP is the VIP counts as an answer.
// IPv6: a duplicate-address-detection neighbour solicitation (from ::, to
// the solicited-node group); any neighbour advertisement for the VIP
// counts.
//
// Frames from the probing node's own MAC never count, and the node's own
// kernel does not see the probe, so an address this node holds itself is
// not reported. The node needs no address of its own on the link.
func Probe(ctx context.Context, v VIP, wait time.Duration) (answered bool, by net.HardwareAddr, err error) {
	if err := v.Validate(); err != nil {
		return false, nil, err
	}
	if wait <= 0 {
		return false, nil, fmt.Errorf("vip: probe %s: wait must be positive", v)
	}
	ifi, err := linkInfo(v.Link)
	if err != nil {
		return false, nil, err
	}
	var (
		c     *packet.Conn
		probe []byte
		match func(frame []byte) net.HardwareAddr
	)
	if v.Addr().Is4() {
		c, err = listenARP(ifi)
		if err == nil {
			probe, err = arpProbeFrame(ifi.HardwareAddr, v.Addr())
		}
		match = func(frame []byte) net.HardwareAddr {
			p, err := parseARP(frame)
			if err != nil || p.SenderIP != v.Addr() || bytes.Equal(p.SenderHardwareAddr, ifi.HardwareAddr) {
				return nil
			}
			return p.SenderHardwareAddr
		}
	} else {
		c, err = listenNA(ifi)
		if err == nil {
			probe, err = dadNSFrame(ifi.HardwareAddr, v.Addr())
		}
		match = func(frame []byte) net.HardwareAddr {
			na, err := parseNA(frame)
			if err != nil || na.Target != v.Addr() || bytes.Equal(na.MAC, ifi.HardwareAddr) {
				return nil
			}
			return na.MAC
		}
	}
	if c != nil {
		defer closeAsync(c)
	}
	if err != nil {
		return false, nil, fmt.Errorf("vip: probe %s: %w", v, err)
	}
	// Cancelling ctx unblocks a pending read.
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()

	start := time.Now()
	end := start.Add(wait)
	buf := make([]byte, 1500)
	for sent := 0; ; {
		if ctx.Err() != nil {
			return false, nil, fmt.Errorf("vip: probe %s: %w", v, ctx.Err())
		}
		now := time.Now()
		if !now.Before(end) {
			return false, nil, nil
		}
		nextSend := start.Add(time.Duration(sent) * wait / probeCount)
		if sent < probeCount && !now.Before(nextSend) {
			if err := sendFrame(c, probe); err != nil {
				return false, nil, fmt.Errorf("vip: probe %s: send: %w", v, err)
			}
			sent++
			nextSend = start.Add(time.Duration(sent) * wait / probeCount)
		}
		deadline := end
		if sent < probeCount && nextSend.Before(deadline) {
			deadline = nextSend
		}
		if err := c.SetReadDeadline(deadline); err != nil {
			return false, nil, fmt.Errorf("vip: probe %s: %w", v, err)
		}
		if ctx.Err() != nil { // AfterFunc may have fired before the deadline was reset
			return false, nil, fmt.Errorf("vip: probe %s: %w", v, ctx.Err())
		}
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return false, nil, fmt.Errorf("vip: probe %s: read: %w", v, err)
		}
		if mac := match(buf[:n]); mac != nil {
			return true, mac, nil
		}
	}
}
