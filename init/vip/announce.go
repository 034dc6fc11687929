package vip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultSchedule is when announcements go out after an Acquire, as
// offsets from the Acquire. The first copy updates nearly every host at
// once; 20 ms and 100 ms cover a frame lost while a switch port or bridge
// was still learning, or dropped under the burst of a takeover; 500 ms,
// 1 s and 2 s cover hosts and switches that rate-limit ARP processing or
// were busy resolving through the old MAC. Six rounds of two frames each
// is negligible load; after that the periodic refresh takes over.
var DefaultSchedule = []time.Duration{
	0,
	20 * time.Millisecond,
	100 * time.Millisecond,
	500 * time.Millisecond,
	time.Second,
	2 * time.Second,
}

// DefaultRefresh is the interval of the announcements repeated while a
// VIP is held, so that a switch or client that missed the burst (or was
// rebooted, or had its entry expire to the old MAC) converges anyway.
const DefaultRefresh = 10 * time.Second

// Announce sends one round of announcements for vips: for each IPv4 VIP
// a gratuitous ARP request and a gratuitous ARP reply, for each IPv6 VIP
// an unsolicited neighbour advertisement to all nodes with Override set.
// It tries every VIP and returns the joined errors.
func Announce(vips []VIP) error {
	if err := validateAll(vips); err != nil {
		return err
	}
	var errs []error
	for link, group := range byLink(vips) {
		if err := announceLink(link, group); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// announceLink opens the sockets for one link, sends, and closes them.
// Opening per round (a few syscalls) keeps up with a link that was
// recreated or renumbered in the meantime.
func announceLink(link string, vips []VIP) error {
	ifi, err := linkInfo(link)
	if err != nil {
		return err
	}
	var errs []error
	var v4, v6 []VIP
	for _, v := range vips {
		if v.Addr().Is4() {
			v4 = append(v4, v)
		} else {
			v6 = append(v6, v)
		}
	}
	if len(v4) > 0 {
		c, err := dialSend(ifi, etherTypeARP)
		if err != nil {
			return err
		}
		for _, v := range v4 {
			frames, err := garpFrames(ifi.HardwareAddr, v.Addr())
			if err != nil {
				errs = append(errs, fmt.Errorf("vip: build gratuitous ARP for %s: %w", v, err))
				continue
			}
			for _, f := range frames {
				if err := sendFrame(c, f); err != nil {
					errs = append(errs, fmt.Errorf("vip: send gratuitous ARP for %s: %w", v, err))
					break
				}
			}
		}
		closeAsync(c)
	}
	if len(v6) > 0 {
		c, err := dialSend(ifi, etherTypeIPv6)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, v := range v6 {
			f, err := unsolicitedNAFrame(ifi.HardwareAddr, v.Addr())
			if err == nil {
				err = sendFrame(c, f)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("vip: send neighbour advertisement for %s: %w", v, err))
			}
		}
		closeAsync(c)
	}
	return errors.Join(errs...)
}

// byLink groups VIPs by link name.
func byLink(vips []VIP) map[string][]VIP {
	m := make(map[string][]VIP)
	for _, v := range vips {
		m[v.Link] = append(m[v.Link], v)
	}
	return m
}

// announceLoop sends the burst given by schedule, then one round every
// refresh (never if refresh <= 0), until ctx ends. Send errors are logged,
// not fatal: a link that is down now may be up at the next round.
func announceLoop(ctx context.Context, vips []VIP, schedule []time.Duration, refresh time.Duration, log *slog.Logger) {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := 0
	for {
		var due time.Time
		switch {
		case next < len(schedule):
			due = start.Add(schedule[next])
		case refresh > 0:
			due = time.Now().Add(refresh)
		default:
			return
		}
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if err := Announce(vips); err != nil {
			log.Warn("vip: announcement failed", "err", err)
		}
		next++
	}
}
