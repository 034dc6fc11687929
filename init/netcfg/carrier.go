package netcfg

import (
	"context"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// WaitCarrier waits until the link reports carrier (IFF_LOWER_UP), for at
// most timeout or until ctx ends. It subscribes to netlink link events before
// reading the current state, so a carrier change between the two is not
// missed, and it never polls. It returns whether carrier is up and how long
// it waited.
func WaitCarrier(ctx context.Context, link netlink.Link, timeout time.Duration) (up bool, waited time.Duration) {
	start := time.Now()
	if link == nil || link.Attrs() == nil {
		return false, 0
	}
	idx := link.Attrs().Index
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	updates := make(chan netlink.LinkUpdate, 16)
	done := make(chan struct{})
	defer close(done)
	subErr := make(chan error, 1)
	err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			select {
			case subErr <- err:
			default:
			}
		},
	})
	if err != nil {
		// Without a subscription, the current state is all we can report.
		l, lerr := netlink.LinkByIndex(idx)
		return lerr == nil && hasCarrier(l), time.Since(start)
	}
	if l, err := netlink.LinkByIndex(idx); err == nil && hasCarrier(l) {
		return true, time.Since(start)
	}
	for {
		select {
		case <-ctx.Done():
			return false, time.Since(start)
		case <-subErr:
			// The subscription broke; answer from the current state.
			l, err := netlink.LinkByIndex(idx)
			return err == nil && hasCarrier(l), time.Since(start)
		case u, ok := <-updates:
			if !ok {
				l, err := netlink.LinkByIndex(idx)
				return err == nil && hasCarrier(l), time.Since(start)
			}
			if int(u.Index) == idx && u.IfInfomsg.Flags&unix.IFF_LOWER_UP != 0 {
				return true, time.Since(start)
			}
		}
	}
}

// Carrier reports whether the link has carrier right now.
func Carrier(link netlink.Link) (bool, error) {
	if link == nil || link.Attrs() == nil {
		return false, fmt.Errorf("netcfg: carrier: no link")
	}
	l, err := netlink.LinkByIndex(link.Attrs().Index)
	if err != nil {
		return false, fmt.Errorf("netcfg: carrier of %s: %w", link.Attrs().Name, err)
	}
	return hasCarrier(l), nil
}

func hasCarrier(l netlink.Link) bool {
	return l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0
}
