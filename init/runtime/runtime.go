// Package runtime is the appliance runtime: from one validated seed it
// configures the network, runs HAProxy, runs the heartbeat and membership
// over the interlink and the data LAN, decides with the failover machine
// who holds the VIPs, and serves the control socket. `tandem run` starts it
// as an ordinary process; PID 1 starts the same runtime after its boot
// duties.
package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"tandem/init/control"
	"tandem/init/failover"
	"tandem/init/heartbeat"
	"tandem/init/membership"
	"tandem/init/seed"
	"tandem/init/supervise"
	"tandem/init/vip"
)

// Options configure one runtime.
type Options struct {
	Seed *seed.Config
	// SeedSource says where the seed came from, for status.
	SeedSource string
	// StateDir keeps HAProxy's sockets and generated config (run/) and the
	// log socket.
	StateDir string
	// ControlSocket is where the control API is served.
	ControlSocket string
	// HAProxyBinary overrides /usr/sbin/haproxy.
	HAProxyBinary string
	// Console receives log lines (stderr for `tandem run`).
	Console io.Writer
	// Ring keeps the log lines `tandem logs` shows; nil makes one.
	Ring *supervise.Ring
}

// node is one running runtime.
type node struct {
	cfg        *seed.Config
	seedSource string
	log        *slog.Logger
	ring       *supervise.Ring
	started    time.Time
	hb         *heartbeat.Channel
	members    *membership.Members
	engine     *engine
	haproxy    *haproxyService

	stopEngine context.CancelFunc
	engineDone chan struct{}
}

// Run runs the runtime until ctx ends, then shuts down in order: hand the
// VIPs over and leave the cluster first, so the peer takes over at once,
// then stop HAProxy. It returns an error only when the runtime cannot start.
//
// Whatever way Run returns, everything it started is stopped: when a start
// step fails, or ctx ends during the start-up (Run then returns nil), the
// parts already started are undone, the last first, so that a later Run in
// the same process and network namespace finds its ports, sockets and VIPs
// free.
func Run(ctx context.Context, opts Options) error {
	if opts.Console == nil {
		opts.Console = os.Stderr
	}
	if opts.Ring == nil {
		opts.Ring = supervise.NewRing(4000)
	}
	if opts.StateDir == "" {
		opts.StateDir = "/var/lib/tandem"
	}
	if opts.ControlSocket == "" {
		opts.ControlSocket = control.DefaultSocket
	}
	c := opts.Seed
	n := &node{cfg: c, seedSource: opts.SeedSource, ring: opts.Ring, started: time.Now()}
	n.log = newLogger(opts.Console, opts.Ring)
	n.log.Info("tandem starting", "node", c.Node.Name, "cluster", c.Node.Cluster, "seed", opts.SeedSource, "profile", string(c.Failover.Profile))

	undo := &undoStack{log: n.log}
	err := n.start(ctx, opts, undo)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			n.log.Info("start-up cancelled; stopping what started", "err", err)
		} else {
			n.log.Error("start-up failed; stopping what started", "err", err)
		}
		undo.run()
		n.log.Info("start-up undone")
		if ctx.Err() != nil {
			return nil // asked to stop, and stopped
		}
		return err
	}
	n.log.Info("tandem running", "control", opts.ControlSocket)

	<-ctx.Done()
	n.handOver()
	undo.run()
	n.log.Info("shutdown: done")
	return nil
}

// start starts the parts in order, pushing on undo how to stop each one as
// soon as it runs. It stops early when ctx ends.
func (n *node) start(ctx context.Context, opts Options, undo *undoStack) error {
	c := n.cfg
	runDir := filepath.Join(opts.StateDir, "run")
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	vips := seedVIPs(c)
	isVIP := func(p netip.Prefix) bool {
		for _, v := range vips {
			if v.Prefix.Addr() == p.Addr() {
				return true
			}
		}
		return false
	}
	links, stopNetwork, err := setupNetwork(ctx, c, n.log, isVIP)
	if err != nil {
		return err
	}
	undo.push(n, "network (DHCP clients)", stopNetwork)
	if err := ctx.Err(); err != nil {
		return err
	}

	holder, err := vip.NewHolder(vip.Config{VIPs: vips, Logger: n.log})
	if err != nil {
		return fmt.Errorf("vip: %w", err)
	}
	// A VIP left on the data NIC or loopback by a previous life of this
	// process is not ours until the machine decides so.
	if err := holder.Release(ctx); err != nil {
		n.log.Warn("vip: clearing leftovers", "err", err)
	}
	if err := undrainVIPs(vips); err != nil {
		n.log.Warn("vip: clearing drained leftovers", "err", err)
	}
	undo.push(n, "vip", func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := holder.Release(rctx); err != nil {
			n.log.Warn("vip: release", "err", err)
		}
		if err := undrainVIPs(vips); err != nil {
			n.log.Warn("vip: remove drained copies", "err", err)
		}
	})
	wctx, stopWatch := context.WithCancel(ctx)
	watcher, err := holder.Watch(wctx)
	if err != nil {
		stopWatch()
		return fmt.Errorf("vip watch: %w", err)
	}
	undo.push(n, "vip watch", func() {
		stopWatch()
		<-watcher.Done()
	})
	cctx, stopClaims := context.WithCancel(ctx)
	claims, err := vip.NewClaimWatcher(cctx, vips, n.log)
	if err != nil {
		stopClaims()
		return fmt.Errorf("vip claims: %w", err)
	}
	undo.push(n, "vip claims", func() {
		stopClaims()
		<-claims.Done()
	})
	if err := ctx.Err(); err != nil {
		return err
	}

	timing, hbProfile := profileTiming(c.Failover.Profile)
	n.hb, err = heartbeat.New(heartbeatConfig(c, hbProfile))
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	undo.push(n, "heartbeat sockets", func() { _ = n.hb.Close() }) // a no-op once Run closed them

	n.members, err = membership.Start(membership.Config{
		Cluster: c.Node.Cluster, Node: c.Node.Name, Key: []byte(c.Node.Key),
		Bind: c.Interlink.Address.Addr(), Peers: c.Interlink.Peers,
		Fast: c.Failover.Profile == seed.ProfileFast,
	}, func(s string) { n.log.Debug("memberlist: " + s) })
	if err != nil {
		// Heartbeats alone still decide; membership adds graceful leave
		// and messages, so a failure here is logged, not fatal.
		n.log.Error("membership: not started; graceful leaves and failback requests are unavailable", "err", err)
		n.members = nil
	} else {
		members := n.members
		undo.push(n, "membership", func() {
			if err := members.Shutdown(); err != nil {
				n.log.Warn("membership: shutdown", "err", err)
			}
		})
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	m := failover.New(failover.Config{
		Node: c.Node.Name, Preferred: c.Failover.Preferred, Failback: c.Failover.Failback,
		MigrationThreshold: c.Failover.MigrationThreshold, Incarnation: n.hb.Incarnation(), Timing: timing,
	}, time.Now())
	n.engine = newEngine(n.log, m, holder, n.hb, n.members, probeWait(c.Failover.Profile), drainTime,
		macsOf(links, vipLinks(c)))

	n.haproxy, err = startHAProxy(ctx, c, opts, runDir, n.log, c.Failover.Profile)
	if err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	undo.push(n, "haproxy", func() {
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := n.haproxy.stop(sctx); err != nil {
			n.log.Warn("haproxy: stop", "err", err)
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}

	// The heartbeat, the engine and the control socket outlive ctx: the
	// shutdown uses them to hand the VIPs over.
	hbCtx, stopHB := context.WithCancel(context.WithoutCancel(ctx))
	hbDone := make(chan struct{})
	goSafe(n.log, "heartbeat", func() {
		defer close(hbDone)
		if err := n.hb.Run(hbCtx, n.engine.currentPayload); err != nil && hbCtx.Err() == nil {
			n.log.Error("heartbeat stopped", "err", err)
		}
	})
	undo.push(n, "heartbeat", func() {
		stopHB()
		<-hbDone
	})

	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	in := inputs{lost: watcher.Lost(), links: watcher.Links(), claims: claims.Claims(), haproxy: n.haproxy.events}
	if n.members != nil {
		in.members, in.msgs = n.members.Events(), n.members.Messages()
	}
	n.stopEngine, n.engineDone = stopEngine, make(chan struct{})
	goSafe(n.log, "engine", func() {
		defer close(n.engineDone)
		n.engine.run(engineCtx, in, tickFor(timing))
	})
	undo.push(n, "failover engine", func() {
		n.stopEngine()
		<-n.engineDone
	})
	if err := ctx.Err(); err != nil {
		return err
	}

	stopControl, err := n.serveControl(opts.ControlSocket)
	if err != nil {
		return err
	}
	undo.push(n, "control socket", stopControl)
	return nil
}

// drainTime is how long a released VIP keeps being accepted on loopback
// (see drain.go): long enough for the peer's gratuitous ARP burst.
const drainTime = 2 * time.Second

// handOver is the graceful part of the shutdown: it hands the VIPs over
// first, so the peer takes over at once, leaves the cluster and stops the
// engine, and lets the drain run out. The undo stack then stops the rest
// (heartbeat, HAProxy, membership, watchers, VIP leftovers).
func (n *node) handOver() {
	n.log.Info("shutdown: handing over the VIPs")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held := n.engine.holder.Held()
	_ = n.engine.submit(ctx, failover.OperatorStandby{Now: time.Now(), Reason: "shutting down"})
	// Let the engine carry out the release and broadcast it.
	deadline := time.Now().Add(time.Second)
	for n.engine.holder.Held() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if n.members != nil {
		if err := n.members.Leave(time.Second); err != nil {
			n.log.Warn("membership: leave", "err", err)
		}
	}
	n.stopEngine()
	<-n.engineDone
	if held {
		time.Sleep(drainTime) // keep serving clients that still use our MAC
	}
}

func seedVIPs(c *seed.Config) []vip.VIP {
	out := make([]vip.VIP, len(c.VIPs))
	for i, v := range c.VIPs {
		out[i] = vip.VIP{Prefix: v.Address, Link: v.Interface}
	}
	return out
}

// profileTiming maps the seed's profile to the machine's and the
// heartbeat's timing.
//
// The fast profile detects a dead peer after four missed heartbeats (20 ms);
// the slower timers (start-up wait, probe retry, ban clearing) stay those
// of the default profile, because they guard against flapping, not
// against outage.
func profileTiming(p seed.Profile) (failover.Timing, heartbeat.Profile) {
	if p == seed.ProfileFast {
		t := failover.DefaultTiming()
		t.Interval = heartbeat.FastProfile.Interval
		t.DeadAfter = heartbeat.FastProfile.DeadAfter
		return t, heartbeat.FastProfile
	}
	return failover.DefaultTiming(), heartbeat.DefaultProfile
}

// probeWait bounds the ARP probe before a takeover: on a LAN an answer
// comes within a millisecond, so a few milliseconds suffice, and every
// millisecond here is outage.
func probeWait(p seed.Profile) time.Duration {
	if p == seed.ProfileFast {
		return 3 * time.Millisecond
	}
	return 20 * time.Millisecond
}

// tickFor is how often the machine checks its timeouts: a twentieth of the
// dead time keeps detection within 5 % of it.
func tickFor(t failover.Timing) time.Duration {
	d := t.DeadAfter / 20
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

// heartbeatConfig sends heartbeats over the interlink and over each VIP
// interface, so a cut interlink alone never looks like a dead peer.
func heartbeatConfig(c *seed.Config, p heartbeat.Profile) heartbeat.Config {
	cfg := heartbeat.Config{
		Cluster: c.Node.Cluster, Node: c.Node.Name, Key: []byte(c.Node.Key), Interval: p.Interval,
		Paths: []heartbeat.Path{{Name: "interlink", Device: c.Interlink.Name,
			Local: c.Interlink.Address.Addr(), Peers: c.Interlink.Peers}},
	}
	if links := vipLinks(c); len(links) > 0 {
		if d, ok := c.Interface(links[0]); ok {
			cfg.Paths = append(cfg.Paths, lanPath(d, c.Failover.LANPeers))
		}
	}
	return cfg
}

// lanPath is the heartbeat path over a data interface: unicast to the
// configured LAN peers, else broadcast on the subnet. Broadcasts reach only
// sockets bound to the wildcard address; the device binding keeps the
// socket on this NIC.
func lanPath(d seed.Interface, peers []netip.Addr) heartbeat.Path {
	path := heartbeat.Path{Name: "lan", Device: d.Name, Local: netip.IPv4Unspecified(), Peers: peers}
	for _, a := range d.Addresses {
		if !a.Addr().Is4() {
			continue
		}
		if len(peers) > 0 {
			path.Local = a.Addr()
		} else {
			path.Peers = []netip.Addr{broadcast(a)}
		}
		return path
	}
	if len(peers) == 0 { // DHCP: the subnet is not known yet
		path.Peers = []netip.Addr{netip.AddrFrom4([4]byte{255, 255, 255, 255})}
	}
	return path
}

// broadcast is the IPv4 broadcast address of p's subnet.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
