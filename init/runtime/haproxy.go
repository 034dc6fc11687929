package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tandem/init/failover"
	"tandem/init/haproxy"
	"tandem/init/seed"
	"tandem/init/supervise"
)

// haproxyService runs HAProxy and turns its events into failover events.
type haproxyService struct {
	svc    *haproxy.Service
	syslog *supervise.SyslogListener
	events chan failover.Event

	stopEvents context.CancelFunc
	eventsDone chan struct{}
}

// PeerName is the name a node has in HAProxy's peers section. Each seed
// knows its peer only by interlink address, so both nodes derive the
// names from the addresses and agree without knowing each other's name.
func PeerName(a netip.Addr) string {
	return "n" + strings.NewReplacer(".", "-", ":", "-").Replace(a.String())
}

// haproxyPeers lists this node and its peers for the peers section.
func haproxyPeers(c *seed.Config) []haproxy.Peer {
	own := c.Interlink.Address.Addr()
	out := []haproxy.Peer{{Name: PeerName(own), Addr: netip.AddrPortFrom(own, haproxy.DefaultPeerPort)}}
	for _, p := range c.Interlink.Peers {
		out = append(out, haproxy.Peer{Name: PeerName(p), Addr: netip.AddrPortFrom(p, haproxy.DefaultPeerPort)})
	}
	return out
}

// HAProxyConfig is the HAProxy service configuration for a seed; the seed
// check uses it too, so `haproxy -c` sees what will run.
func HAProxyConfig(c *seed.Config, runDir, binary string, ring *supervise.Ring, profile seed.Profile) (haproxy.Config, error) {
	user := c.HAProxy.File
	if user == "" {
		user = filepath.Join(runDir, "haproxy.cfg")
		if err := os.WriteFile(user, []byte(c.HAProxy.Config), 0o600); err != nil {
			return haproxy.Config{}, fmt.Errorf("write inline configuration: %w", err)
		}
	}
	// A hung HAProxy is one that misses three health probes in a row. The
	// timeout is generous: a busy machine may delay a healthy HAProxy by
	// a few hundred milliseconds, and a spurious hang moves the VIP.
	// A crash needs no probe: the supervisor sees the exit at once.
	probe := haproxy.Probe{Interval: 200 * time.Millisecond, Timeout: time.Second, Failures: 3}
	if profile == seed.ProfileFast {
		probe = haproxy.Probe{Interval: 50 * time.Millisecond, Timeout: 250 * time.Millisecond, Failures: 3}
	}
	return haproxy.Config{
		Binary: binary, UserConfig: user, RunDir: runDir,
		LocalPeer: PeerName(c.Interlink.Address.Addr()), Peers: haproxyPeers(c),
		LogSocket: filepath.Join(runDir, "log.sock"), Ring: ring, Probe: probe,
	}, nil
}

// startHAProxy starts supervising HAProxy. On error nothing it started
// is left: no log socket, no HAProxy.
func startHAProxy(ctx context.Context, c *seed.Config, opts Options, runDir string, log *slog.Logger, profile seed.Profile) (*haproxyService, error) {
	cfg, err := HAProxyConfig(c, runDir, opts.HAProxyBinary, opts.Ring, profile)
	if err != nil {
		return nil, err
	}
	sl, err := supervise.ListenSyslog(cfg.LogSocket, opts.Ring)
	if err != nil {
		return nil, fmt.Errorf("log socket: %w", err)
	}
	svc, err := haproxy.New(cfg)
	if err != nil {
		sl.Close()
		return nil, err
	}
	// The events are logged until stop, through HAProxy's own shutdown.
	ectx, stopEvents := context.WithCancel(context.WithoutCancel(ctx))
	h := &haproxyService{svc: svc, syslog: sl, events: make(chan failover.Event, 16),
		stopEvents: stopEvents, eventsDone: make(chan struct{})}
	if err := svc.Start(ctx); err != nil {
		stopEvents()
		// Start may fail after the supervisor began; Stop is a no-op if
		// it did not.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer cancel()
		_ = svc.Stop(sctx)
		sl.Close()
		return nil, err
	}
	goSafe(log, "haproxy events", func() {
		defer close(h.eventsDone)
		h.forward(ectx, log)
	})
	return h, nil
}

// forward turns HAProxy's events into failover events until ctx ends (the
// service's event channel is never closed).
func (h *haproxyService) forward(ctx context.Context, log *slog.Logger) {
	for {
		var ev haproxy.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-h.svc.Events():
		}
		log.Info("haproxy: "+ev.Kind.String(), "reason", ev.Reason)
		var fe failover.Event
		switch ev.Kind {
		case haproxy.Up:
			fe = failover.HAProxyUp{Now: ev.At}
		case haproxy.Down, haproxy.Hung, haproxy.ConfigError:
			fe = failover.HAProxyDown{Now: ev.At, Reason: "haproxy " + ev.Kind.String() + ": " + ev.Reason}
		default:
			continue
		}
		select {
		case h.events <- fe:
		case <-ctx.Done():
			return
		}
	}
}

// stopTimeout bounds stopping HAProxy: a soft stop lets open connections
// finish; at the end HAProxy is killed.
const stopTimeout = 30 * time.Second

// stop stops HAProxy (gracefully, unless ctx ends first), then the event
// forwarding and the log socket.
func (h *haproxyService) stop(ctx context.Context) error {
	err := h.svc.Stop(ctx)
	h.stopEvents()
	<-h.eventsDone
	h.syslog.Close()
	return err
}
