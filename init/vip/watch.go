package vip

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkEvent reports the state of a VIP link: Up means administratively
// up with carrier (IFF_UP and IFF_LOWER_UP). A deleted link is reported
// as down.
type LinkEvent struct {
	Link string
	Up   bool
}

// Watcher follows netlink address and link notifications for a set of
// VIPs. It does not poll.
type Watcher struct {
	vips  []VIP
	held  func() bool
	lost  chan VIP
	links chan LinkEvent
	done  chan struct{}

	names map[int]string // ifindex → name, from link notifications
	state map[string]bool
}

// subscription is one pair of netlink sockets.
type subscription struct {
	addrs chan netlink.AddrUpdate
	links chan netlink.LinkUpdate
	stop  chan struct{}
}

// Watch subscribes to address and link notifications in the current
// network namespace and starts reporting until ctx ends:
//   - Lost: a VIP was removed from its link while held() was true
//     (someone ran `ip addr del`, or the link went away);
//   - Links: the up/down state of each VIP link, first its current state,
//     then every change.
//
// The consumer must drain both channels; they are closed after ctx ends.
// If the notification socket fails (e.g. overrun), the Watcher
// resubscribes and compares the VIPs with the link addresses, so a loss
// during the gap is still reported.
func Watch(ctx context.Context, vips []VIP, held func() bool) (*Watcher, error) {
	if err := validateAll(vips); err != nil {
		return nil, err
	}
	if held == nil {
		held = func() bool { return true }
	}
	w := &Watcher{
		vips:  vips,
		held:  held,
		lost:  make(chan VIP, len(vips)),
		links: make(chan LinkEvent, 16),
		done:  make(chan struct{}),
		names: make(map[int]string),
		state: make(map[string]bool),
	}
	sub, err := subscribe()
	if err != nil {
		return nil, err
	}
	go w.run(ctx, sub)
	return w, nil
}

// Lost delivers each VIP that disappeared from its link while held.
func (w *Watcher) Lost() <-chan VIP { return w.lost }

// Links delivers the up/down state of the VIP links.
func (w *Watcher) Links() <-chan LinkEvent { return w.links }

// Done is closed when the Watcher has stopped.
func (w *Watcher) Done() <-chan struct{} { return w.done }

func subscribe() (*subscription, error) {
	s := &subscription{
		addrs: make(chan netlink.AddrUpdate, 64),
		links: make(chan netlink.LinkUpdate, 64),
		stop:  make(chan struct{}),
	}
	// Errors surface as a closed channel, which triggers a resubscribe.
	quiet := func(error) {}
	err := netlink.AddrSubscribeWithOptions(s.addrs, s.stop, netlink.AddrSubscribeOptions{
		ErrorCallback: quiet, ReceiveBufferSize: 1 << 20,
	})
	if err != nil {
		close(s.stop)
		return nil, fmt.Errorf("vip: subscribe to address updates: %w", err)
	}
	err = netlink.LinkSubscribeWithOptions(s.links, s.stop, netlink.LinkSubscribeOptions{
		ErrorCallback: quiet, ListExisting: true, ReceiveBufferSize: 1 << 20,
	})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("vip: subscribe to link updates: %w", err)
	}
	return s, nil
}

// close ends both subscriptions and drains them so their goroutines,
// which may be blocked sending, can exit.
func (s *subscription) close() {
	close(s.stop)
	go func() {
		for range s.addrs {
		}
	}()
	go func() {
		for range s.links {
		}
	}()
}

func (w *Watcher) run(ctx context.Context, sub *subscription) {
	defer close(w.done)
	defer close(w.lost)
	defer close(w.links)
	for {
		w.follow(ctx, sub)
		sub.close()
		if ctx.Err() != nil {
			return
		}
		// The socket failed: resubscribe, then catch up on what the gap hid.
		for {
			var err error
			if sub, err = subscribe(); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		w.resync(ctx)
	}
}

// follow handles notifications until ctx ends or a subscription fails.
func (w *Watcher) follow(ctx context.Context, sub *subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-sub.links:
			if !ok {
				return
			}
			w.onLink(ctx, u)
		case u, ok := <-sub.addrs:
			if !ok {
				return
			}
			if !u.NewAddr {
				w.onAddrGone(ctx, u)
			}
		}
	}
}

func (w *Watcher) onLink(ctx context.Context, u netlink.LinkUpdate) {
	attrs := u.Link.Attrs()
	w.names[attrs.Index] = attrs.Name
	if !w.watchesLink(attrs.Name) {
		return
	}
	up := u.Header.Type != unix.RTM_DELLINK &&
		attrs.RawFlags&unix.IFF_UP != 0 && attrs.RawFlags&unix.IFF_LOWER_UP != 0
	if prev, seen := w.state[attrs.Name]; seen && prev == up {
		return
	}
	w.state[attrs.Name] = up
	select {
	case w.links <- LinkEvent{Link: attrs.Name, Up: up}:
	case <-ctx.Done():
	}
}

func (w *Watcher) onAddrGone(ctx context.Context, u netlink.AddrUpdate) {
	addr, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	if !ok {
		return
	}
	addr = addr.Unmap()
	name, known := w.names[u.LinkIndex]
	if !known {
		if l, err := netlink.LinkByIndex(u.LinkIndex); err == nil {
			name = l.Attrs().Name
		}
	}
	for _, v := range w.vips {
		if v.Addr() == addr && v.Link == name && w.held() {
			w.report(ctx, v)
		}
	}
}

// resync reports every VIP that is held but not on its link.
func (w *Watcher) resync(ctx context.Context) {
	if !w.held() {
		return
	}
	for _, v := range w.vips {
		if has, err := hasAddress(v); err == nil && !has {
			w.report(ctx, v)
		}
	}
}

func (w *Watcher) report(ctx context.Context, v VIP) {
	select {
	case w.lost <- v:
	case <-ctx.Done():
	}
}

func (w *Watcher) watchesLink(name string) bool {
	for _, v := range w.vips {
		if v.Link == name {
			return true
		}
	}
	return false
}
