package netcfg

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// DHCPOptions tunes the DHCP client. Zero values pick the defaults.
type DHCPOptions struct {
	// TimeScale multiplies the lease time, T1, T2 and the RFC 2131 minimum
	// retry interval of 60 s. 0 means 1. Tests use e.g. 0.04 to run a
	// 2-minute lease (dnsmasq's minimum) in under 5 s; production leaves it 0.
	// The address lifetimes given to the kernel are scaled too.
	TimeScale float64
	// Hostname is sent as option 12 when set.
	Hostname string
	// Timeout is the first retransmission timeout of one exchange; it
	// doubles on each retransmission. Default 2 s.
	Timeout time.Duration
	// Retries is the number of transmissions per exchange. Default 3.
	Retries int
	// BackoffMin and BackoffMax bound the pause between failed discovery
	// rounds, which doubles from min to max (with jitter). Defaults 1 s, 60 s.
	BackoffMin, BackoffMax time.Duration
	// RouteMetric is the metric of the default route through the router.
	RouteMetric int
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
}

// DHCP is a DHCPv4 client for one link, running the whole lease lifecycle
// (RFC 2131): DISCOVER/OFFER/REQUEST/ACK, then the address (with the lease's
// valid and preferred lifetimes, tagged ProtoDHCP) and a default route via the
// first router; renewal from T1 by unicast to the leasing server; rebinding
// from T2 by broadcast; and at expiry (or on a NAK) removal of the address and
// route and a fresh discovery. It sends only on its own link, with the link's
// MAC, in the calling process's network namespace.
//
// Classless static routes (option 121) are not applied.
type DHCP struct {
	Link    netlink.Link
	Options DHCPOptions
	// Events receives every state change. Run blocks on it (or on ctx), so
	// the receiver must keep reading; nil discards events.
	Events chan<- Lease
}

// errNak reports a DHCPNAK: the server refused the address.
var errNak = errors.New("server sent NAK")

// Run runs the client until ctx ends and returns ctx's error. Failures to
// reach a server are retried forever with bounded backoff, never returned.
// On return the current lease, if any, stays on the link: its kernel
// lifetime removes it if nobody renews it.
func (d *DHCP) Run(ctx context.Context) error {
	if d.Link == nil || d.Link.Attrs() == nil {
		return errors.New("netcfg: dhcp: no link")
	}
	if len(d.Link.Attrs().HardwareAddr) != 6 {
		return fmt.Errorf("netcfg: dhcp on %s: link has no Ethernet address", d.Link.Attrs().Name)
	}
	var prev *binding
	for {
		b, err := d.acquire(ctx, prev)
		if err != nil {
			return err
		}
		if err := d.install(prev, b); err != nil {
			d.logf("%v", err)
			d.uninstall(b)
			if err := sleepCtx(ctx, d.backoff(0)); err != nil {
				return err
			}
			continue
		}
		if err := d.emit(ctx, b, Bound, ""); err != nil {
			return err
		}
		reason, b, err := d.maintain(ctx, b)
		if err != nil {
			return err
		}
		d.uninstall(b)
		if err := d.emit(ctx, b, Expired, reason); err != nil {
			return err
		}
		prev = b
	}
}

// acquire runs discovery rounds, with backoff between failures, until it
// gets an ACK. It asks for the previous address (option 50), so a server
// that remembers the client gives the same one back.
func (d *DHCP) acquire(ctx context.Context, prev *binding) (*binding, error) {
	for attempt := 0; ; attempt++ {
		b, err := d.discover(ctx, prev)
		if err == nil {
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait := d.backoff(attempt)
		d.logf("netcfg: dhcp on %s: %v; retrying in %v", d.name(), err, wait.Round(time.Millisecond))
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (d *DHCP) discover(ctx context.Context, prev *binding) (*binding, error) {
	raw, err := nclient4.NewRawUDPConn(d.name(), nclient4.ClientPort)
	if err != nil {
		return nil, fmt.Errorf("netcfg: dhcp raw socket on %s: %w", d.name(), err)
	}
	c, err := nclient4.NewWithConn(raw, d.Link.Attrs().HardwareAddr, d.clientOpts()...)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("netcfg: dhcp client on %s: %w", d.name(), err)
	}
	defer c.Close()
	mods := d.modifiers()
	if prev != nil {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IP(prev.Addr.Addr().AsSlice()))))
	}
	offer, err := c.DiscoverOffer(ctx, mods...)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	lease, err := c.RequestFromOffer(ctx, offer, d.modifiers()...)
	if err != nil {
		return nil, err
	}
	return parseAck(d.name(), lease.ACK, start, d.scale())
}

// maintain keeps the lease alive: renew from T1 until T2, rebind from T2
// until expiry. It returns why the lease was lost and the binding lost.
func (d *DHCP) maintain(ctx context.Context, b *binding) (string, *binding, error) {
	for {
		if b.infinite {
			<-ctx.Done()
			return "", b, ctx.Err()
		}
		next, state, err := d.extend(ctx, b)
		switch {
		case ctx.Err() != nil:
			return "", b, ctx.Err()
		case errors.Is(err, errNak):
			return "NAK from server", b, nil
		case err != nil:
			return "lease expired", b, nil
		}
		if err := d.install(b, next); err != nil {
			// The server extended the lease but the kernel refused it;
			// drop it and start over rather than run on a half-set lease.
			d.logf("%v", err)
			return "apply failed: " + err.Error(), next, nil
		}
		if err := d.emit(ctx, next, state, ""); err != nil {
			return "", next, err
		}
		b = next
	}
}

// extend renews (unicast, T1..T2) and then rebinds (broadcast, T2..expiry).
// Between attempts it waits half the time left in the phase, at least the
// RFC 2131 minimum of 60 s (scaled). It returns an error only once the lease
// has expired, or on a NAK.
func (d *DHCP) extend(ctx context.Context, b *binding) (*binding, LeaseState, error) {
	minRetry := scaleDur(60*time.Second, d.scale())
	phases := []struct {
		from, until time.Time
		dest        *net.UDPAddr
		state       LeaseState
	}{
		{b.t1(), b.t2(), &net.UDPAddr{IP: net.IP(b.Server.AsSlice()), Port: nclient4.ServerPort}, Renewed},
		{b.t2(), b.expiry(), &net.UDPAddr{IP: net.IPv4bcast, Port: nclient4.ServerPort}, Rebound},
	}
	for _, ph := range phases {
		if err := sleepUntil(ctx, ph.from); err != nil {
			return nil, 0, err
		}
		for time.Now().Before(ph.until) {
			next, err := d.request(ctx, b, ph.dest, ph.until, ph.state == Renewed)
			if err == nil || errors.Is(err, errNak) || ctx.Err() != nil {
				return next, ph.state, err
			}
			d.logf("netcfg: dhcp on %s: %s %s: %v", d.name(), map[LeaseState]string{Renewed: "renew", Rebound: "rebind"}[ph.state], b.Addr.Addr(), err)
			wait := max(time.Until(ph.until)/2, minRetry)
			if !time.Now().Add(wait).Before(ph.until) {
				break
			}
			if err := sleepCtx(ctx, wait); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := sleepUntil(ctx, b.expiry()); err != nil {
		return nil, 0, err
	}
	return nil, 0, errors.New("lease expired")
}

// request sends one REQUEST with ciaddr set (RENEWING or REBINDING state)
// to dest and waits for the answer until deadline.
func (d *DHCP) request(ctx context.Context, b *binding, dest *net.UDPAddr, deadline time.Time, sameServer bool) (*binding, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := boundConn(ctx, d.name(), b.Addr.Addr())
	if err != nil {
		return nil, err
	}
	c, err := nclient4.NewWithConn(conn, d.Link.Attrs().HardwareAddr, d.clientOpts()...)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netcfg: dhcp client on %s: %w", d.name(), err)
	}
	defer c.Close()
	xid, err := dhcpv4.GenerateTransactionID()
	if err != nil {
		return nil, fmt.Errorf("netcfg: dhcp transaction id: %w", err)
	}
	req, err := dhcpv4.NewRenewFromAck(b.ack, append(d.modifiers(), dhcpv4.WithTransactionID(xid))...)
	if err != nil {
		return nil, fmt.Errorf("netcfg: dhcp request: %w", err)
	}
	match := nclient4.IsMessageType(dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	if sameServer {
		match = nclient4.IsAll(nclient4.IsCorrectServer(net.IP(b.Server.AsSlice())), match)
	}
	start := time.Now()
	resp, err := c.SendAndRead(ctx, dest, req, match)
	if err != nil {
		return nil, err
	}
	if resp.MessageType() == dhcpv4.MessageTypeNak {
		return nil, errNak
	}
	return parseAck(d.name(), resp, start, d.scale())
}

// install applies a binding to the link: the address with the lease's
// lifetimes and the default route through the first router. A previous
// binding's address or router that changed is removed.
func (d *DHCP) install(old, b *binding) error {
	idx := d.Link.Attrs().Index
	life := time.Duration(0) // forever
	if !b.infinite {
		// One second of slack: our own timer, not the kernel's, ends the lease.
		life = time.Until(b.expiry()) + time.Second
		if life <= time.Second {
			return fmt.Errorf("netcfg: dhcp on %s: lease for %s already expired", d.name(), b.Addr)
		}
	}
	if old != nil && old.Addr != b.Addr {
		d.uninstall(old)
	}
	if err := replaceAddr(idx, addrSpec{Prefix: b.Addr, Proto: ProtoDHCP, Valid: life, Preferred: life}); err != nil {
		return fmt.Errorf("netcfg: dhcp on %s: %w", d.name(), err)
	}
	if old != nil && len(old.Routers) > 0 && (len(b.Routers) == 0 || old.Routers[0] != b.Routers[0]) {
		d.deleteRoute(old)
	}
	if len(b.Routers) > 0 {
		r := defaultRoute(idx, b.Routers[0], b.Addr.Addr(), unix.RTPROT_DHCP)
		r.Priority = d.Options.RouteMetric
		if err := netlink.RouteReplace(&r); err != nil {
			return fmt.Errorf("netcfg: dhcp on %s: default route via %s: %w", d.name(), b.Routers[0], err)
		}
	}
	return nil
}

// uninstall removes the binding's route and address, logging failures: a
// lost lease must not stop the client from trying again.
func (d *DHCP) uninstall(b *binding) {
	d.deleteRoute(b)
	if err := promoteSecondaries(d.name()); err != nil {
		d.logf("%v", err)
	}
	if err := delAddr(d.Link.Attrs().Index, b.Addr); err != nil {
		d.logf("netcfg: dhcp on %s: %v", d.name(), err)
	}
}

func (d *DHCP) deleteRoute(b *binding) {
	if len(b.Routers) == 0 {
		return
	}
	r := defaultRoute(d.Link.Attrs().Index, b.Routers[0], b.Addr.Addr(), unix.RTPROT_DHCP)
	r.Priority = d.Options.RouteMetric
	if err := netlink.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		d.logf("netcfg: dhcp on %s: remove default route via %s: %v", d.name(), b.Routers[0], err)
	}
}

func (d *DHCP) emit(ctx context.Context, b *binding, state LeaseState, reason string) error {
	ev := b.Lease
	ev.State, ev.Reason = state, reason
	d.logf("netcfg: dhcp on %s: %s %s from %s (lease %v)%s", d.name(), state, ev.Addr, ev.Server, ev.LeaseTime, map[bool]string{true: ": " + reason, false: ""}[reason != ""])
	if d.Events == nil {
		return nil
	}
	select {
	case d.Events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *DHCP) modifiers() []dhcpv4.Modifier {
	mods := []dhcpv4.Modifier{
		dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter,
			dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName, dhcpv4.OptionDNSDomainSearchList,
			dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue, dhcpv4.OptionRebindingTimeValue),
		dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(nclient4.MaxMessageSize)),
	}
	if d.Options.Hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(d.Options.Hostname)))
	}
	return mods
}

func (d *DHCP) clientOpts() []nclient4.ClientOpt {
	timeout := d.Options.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	retries := d.Options.Retries
	if retries <= 0 {
		retries = 3
	}
	return []nclient4.ClientOpt{nclient4.WithTimeout(timeout), nclient4.WithRetry(retries)}
}

// backoff is the pause after the attempt-th failed discovery round:
// doubling from BackoffMin to BackoffMax, with up to 25% jitter so that
// nodes that lost their server together do not retry in step.
func (d *DHCP) backoff(attempt int) time.Duration {
	lo, hi := d.Options.BackoffMin, d.Options.BackoffMax
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = max(lo, 60*time.Second)
	}
	w := lo
	for i := 0; i < attempt && w < hi; i++ {
		w *= 2
	}
	w = min(w, hi)
	return w - time.Duration(rand.Int64N(int64(w)/4+1))
}

func (d *DHCP) scale() float64 {
	if d.Options.TimeScale <= 0 {
		return 1
	}
	return d.Options.TimeScale
}

func (d *DHCP) name() string { return d.Link.Attrs().Name }

func (d *DHCP) logf(format string, args ...any) {
	if d.Options.Logf != nil {
		d.Options.Logf(format, args...)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	if d := time.Until(t); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err()
}
