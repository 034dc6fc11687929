package heartbeat

import (
	"errors"
	"fmt"
	"hash"
	"time"

	"golang.org/x/sys/unix"
)

// recvLoop waits in ppoll on all path sockets at once and drains each one
// that is readable, until stopFD fires.
func (c *Channel) recvLoop() error {
	mac := c.newMAC()
	buf := make([]byte, maxPacket+1) // +1: detect oversize datagrams
	scratch := make([]byte, 0, macLen)
	fds := make([]unix.PollFd, 0, len(c.paths)+1)
	fds = append(fds, unix.PollFd{Fd: int32(c.stopFD), Events: unix.POLLIN})
	for _, p := range c.paths {
		fds = append(fds, unix.PollFd{Fd: int32(p.fd), Events: unix.POLLIN})
	}
	for {
		for i := range fds {
			fds[i].Revents = 0
		}
		if _, err := unix.Ppoll(fds, nil, nil); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("heartbeat: receive loop: ppoll: %w", err)
		}
		if fds[0].Revents != 0 {
			return nil
		}
		for i, p := range c.paths {
			if fds[i+1].Revents != 0 {
				c.drain(p, buf, scratch, mac)
			}
		}
	}
}

// drain reads every queued datagram of one path.
func (c *Channel) drain(p *pathState, buf, scratch []byte, mac hash.Hash) {
	for {
		n, from, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			// EAGAIN: drained. Other errors (e.g. ICMP-reported ECONNREFUSED
			// from an earlier send) are transient for UDP: go back to ppoll.
			return
		}
		c.handle(p, buf[:n], from, scratch, mac, time.Now())
	}
}

// handle authenticates and checks one datagram, then delivers it.
func (c *Channel) handle(p *pathState, b []byte, from unix.Sockaddr, scratch []byte, mac hash.Hash, now time.Time) {
	if len(b) > maxPacket || len(b) < macLen {
		c.drop(p, DropMalformed)
		return
	}
	if !verifyMAC(b, mac, scratch) {
		c.drop(p, DropBadMAC)
		return
	}
	pk, err := decodePacket(b)
	if err != nil {
		c.drop(p, DropMalformed)
		return
	}
	if pk.Cluster != c.cfg.Cluster {
		c.drop(p, DropOtherCluster)
		return
	}
	if pk.Node == c.cfg.Node {
		c.drop(p, DropOwnNode)
		return
	}

	c.mu.Lock()
	s := c.senders[pk.Node]
	if s == nil || pk.Incarnation > s.incarnation {
		// First packet of this node, or of a new life: its sequence restarts.
		s = &senderState{incarnation: pk.Incarnation, lastSeq: map[string]uint64{}}
		c.senders[pk.Node] = s
	}
	switch {
	case pk.Incarnation < s.incarnation:
		c.dropLocked(p, DropOldIncarnation)
		c.mu.Unlock()
		return
	case pk.Seq <= s.lastSeq[pk.Path]:
		c.dropLocked(p, DropReplay)
		c.mu.Unlock()
		return
	}
	s.lastSeq[pk.Path] = pk.Seq

	var rtt time.Duration
	if pk.EchoIncarnation == c.incarnation && pk.EchoSeq != 0 {
		if rec := c.sent[pk.EchoSeq%sentRing]; rec.seq == pk.EchoSeq {
			rtt = max(now.Sub(rec.at)-pk.EchoDelay, time.Nanosecond)
		}
	}
	src := addrOf(from)
	for _, peer := range p.peerAddrs {
		if peer == src { // bounded map: echo only configured peers
			p.echo[src] = echoRecord{incarnation: pk.Incarnation, seq: pk.Seq, path: pk.Path, at: now}
		}
	}
	p.stats.Received++
	p.stats.LastHeard = now
	if rtt > 0 {
		p.stats.LastRTT = rtt
	}
	h := Heard{
		Path: p.name, From: pk.Node, Incarnation: pk.Incarnation,
		Payload: append([]byte(nil), pk.Payload...), At: now, RTT: rtt,
	}
	select {
	case c.heard <- h:
	default:
		c.counters.Overflow++
	}
	c.mu.Unlock()
}

func (c *Channel) drop(p *pathState, reason string) {
	c.mu.Lock()
	c.dropLocked(p, reason)
	c.mu.Unlock()
}

func (c *Channel) dropLocked(p *pathState, reason string) { p.stats.Dropped[reason]++ }
