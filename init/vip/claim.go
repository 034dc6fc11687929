package vip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/packet"
)

// Claim is another host asserting that it has a VIP.
type Claim struct {
	VIP netip.Addr
	MAC net.HardwareAddr
	At  time.Time
}

// ClaimWatcher reports other hosts claiming VIPs on the data links.
type ClaimWatcher struct {
	claims chan Claim
	done   chan struct{}
}

// NewClaimWatcher listens on the links of vips until ctx ends and reports
// a Claim for every frame in which a host other than this one (by MAC)
// claims a VIP:
//   - IPv4, per RFC 5227 2.4: any ARP packet (request, reply, gratuitous
//     or not) whose sender IP is a VIP and whose sender MAC is not the
//     link's own;
//   - IPv6: any neighbour advertisement for a VIP whose target link-layer
//     address (else Ethernet source) is not the link's own. Unsolicited
//     advertisements go to all nodes and are always seen; solicited ones
//     only when addressed to this node (for example answers to Probe).
//
// Claims are reported whether or not this node holds the VIP; the
// runtime decides what they mean. The channel is closed after ctx ends.
func NewClaimWatcher(ctx context.Context, vips []VIP, log *slog.Logger) (*ClaimWatcher, error) {
	if err := validateAll(vips); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	w := &ClaimWatcher{claims: make(chan Claim, 16), done: make(chan struct{})}
	var readers []func()
	var conns []*packet.Conn
	fail := func(err error) (*ClaimWatcher, error) {
		for _, c := range conns {
			c.Close()
		}
		return nil, err
	}
	for link, group := range byLink(vips) {
		ifi, err := linkInfo(link)
		if err != nil {
			return fail(err)
		}
		v4, v6 := make(map[netip.Addr]bool), make(map[netip.Addr]bool)
		for _, v := range group {
			if v.Addr().Is4() {
				v4[v.Addr()] = true
			} else {
				v6[v.Addr()] = true
			}
		}
		own := ifi.HardwareAddr
		if len(v4) > 0 {
			c, err := listenARP(ifi)
			if err != nil {
				return fail(err)
			}
			conns = append(conns, c)
			readers = append(readers, func() {
				w.read(ctx, c, link, log, func(frame []byte) (netip.Addr, net.HardwareAddr) {
					p, err := parseARP(frame)
					if err != nil || !v4[p.SenderIP] || bytes.Equal(p.SenderHardwareAddr, own) {
						return netip.Addr{}, nil
					}
					return p.SenderIP, p.SenderHardwareAddr
				})
			})
		}
		if len(v6) > 0 {
			c, err := listenNA(ifi)
			if err != nil {
				return fail(err)
			}
			conns = append(conns, c)
			readers = append(readers, func() {
				w.read(ctx, c, link, log, func(frame []byte) (netip.Addr, net.HardwareAddr) {
					na, err := parseNA(frame)
					if err != nil || !v6[na.Target] || bytes.Equal(na.MAC, own) {
						return netip.Addr{}, nil
					}
					return na.Target, na.MAC
				})
			})
		}
	}
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Go(r)
	}
	go func() {
		<-ctx.Done()
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
		close(w.claims)
		close(w.done)
	}()
	return w, nil
}

// Claims delivers the claims seen; it is closed after ctx ends.
func (w *ClaimWatcher) Claims() <-chan Claim { return w.claims }

// Done is closed when every listener has stopped.
func (w *ClaimWatcher) Done() <-chan struct{} { return w.done }

// read reports matching frames from c until c is closed.
func (w *ClaimWatcher) read(ctx context.Context, c *packet.Conn, link string, log *slog.Logger, match func([]byte) (netip.Addr, net.HardwareAddr)) {
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A link going down reports ENETDOWN once and then keeps
			// working when it comes back; pause so a persistent error
			// cannot spin.
			log.Debug("vip: claim watcher read", "link", link, "err", fmt.Sprint(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		ip, mac := match(buf[:n])
		if mac == nil {
			continue
		}
		select {
		case w.claims <- Claim{VIP: ip, MAC: append(net.HardwareAddr(nil), mac...), At: time.Now()}:
		case <-ctx.Done():
			return
		}
	}
}
