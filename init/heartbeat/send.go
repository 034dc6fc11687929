package heartbeat

import (
	"errors"
	"fmt"
	"hash"
	"time"

	"golang.org/x/sys/unix"
)

// sendLoop broadcasts on every tick and every kick until stopFD fires. It
// sleeps in ppoll (in the kernel, on this high-priority thread), not on a Go
// timer, so its wake-ups do not depend on the Go scheduler's threads.
func (c *Channel) sendLoop(payload func() []byte) error {
	mac := c.newMAC()
	buf := make([]byte, 0, maxPacket)
	fds := []unix.PollFd{{Fd: int32(c.stopFD), Events: unix.POLLIN}, {Fd: int32(c.kickFD), Events: unix.POLLIN}}
	interval := c.cfg.Interval
	next := time.Now() // first broadcast at once
	for {
		wait := time.Until(next)
		if wait > 0 {
			ts := unix.NsecToTimespec(int64(wait))
			fds[0].Revents, fds[1].Revents = 0, 0
			if _, err := unix.Ppoll(fds, &ts, nil); err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("heartbeat: send loop: ppoll: %w", err)
			}
			if fds[0].Revents != 0 {
				return nil
			}
		}
		kicked := fds[1].Revents != 0
		if kicked {
			drainEventfd(c.kickFD)
		}
		now := time.Now()
		due := !now.Before(next)
		if !due && !kicked {
			continue // early wake (EINTR)
		}
		buf = c.broadcast(payload(), mac, buf)
		if due {
			next = next.Add(interval)
			if next.Before(now) { // we fell behind: keep the rhythm, do not burst
				next = now.Add(interval)
			}
		}
		fds[1].Revents = 0
	}
}

// broadcast sends one packet to every peer on every path. A failure on one
// path (link down, no route) is counted and never stops the others.
func (c *Channel) broadcast(payload []byte, mac hash.Hash, buf []byte) []byte {
	if len(payload) > MaxPayload {
		c.mu.Lock()
		c.counters.PayloadTooLarge++
		c.mu.Unlock()
		payload = nil
	}
	for _, p := range c.paths {
		for i, sa := range p.peerSAs {
			c.mu.Lock()
			c.seq++
			now := time.Now()
			c.sent[c.seq%sentRing] = sentRecord{seq: c.seq, at: now}
			echo := p.echo[p.peerAddrs[i]]
			pk := packet{
				Cluster: c.cfg.Cluster, Node: c.cfg.Node, Incarnation: c.incarnation,
				Seq: c.seq, Path: p.name, Payload: payload,
			}
			if echo.seq != 0 {
				pk.EchoIncarnation, pk.EchoSeq, pk.EchoPath = echo.incarnation, echo.seq, echo.path
				pk.EchoDelay = now.Sub(echo.at)
			}
			c.mu.Unlock()

			buf = appendPacket(buf, &pk, mac)
			err := unix.Sendto(p.fd, buf, unix.MSG_DONTWAIT, sa)

			c.mu.Lock()
			if err != nil {
				p.stats.SendErrors++
				p.stats.LastSendError = fmt.Sprintf("to %s: %v", p.peerAddrs[i], err)
			} else {
				p.stats.Sent++
			}
			c.mu.Unlock()
		}
	}
	return buf
}
