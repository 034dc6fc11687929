package runtime

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"tandem/init/failover"
	"tandem/init/heartbeat"
	"tandem/init/membership"
	"tandem/init/vip"
)

// engine owns the failover state machine. One goroutine (run) feeds it
// every event and carries out its actions, so the machine itself stays pure
// and single-threaded; everything else talks to it through channels.
type engine struct {
	log       *slog.Logger
	m         *failover.Machine
	holder    *vip.Holder
	hb        *heartbeat.Channel
	members   *membership.Members // nil when memberlist could not start
	probeWait time.Duration
	drainFor  time.Duration
	ownMACs   []net.HardwareAddr

	internal chan failover.Event // probe results and operator requests

	// Guarded by mu: read by the control socket while run writes.
	mu        sync.Mutex
	snap      failover.Snapshot
	payload   []byte
	peerMACs  map[string]string // MAC -> peer node name
	peerHolds map[string]time.Time

	sent       failover.PeerState // the state payload encodes; run's goroutine only
	drainTimer *time.Timer
}

func newEngine(log *slog.Logger, m *failover.Machine, holder *vip.Holder, hb *heartbeat.Channel,
	members *membership.Members, probeWait, drainFor time.Duration, ownMACs []net.HardwareAddr) *engine {
	e := &engine{
		log: log, m: m, holder: holder, hb: hb, members: members,
		probeWait: probeWait, drainFor: drainFor, ownMACs: ownMACs,
		internal:  make(chan failover.Event, 16),
		peerMACs:  map[string]string{},
		peerHolds: map[string]time.Time{},
	}
	e.publish()
	return e
}

// inputs are the event sources run selects on. A nil channel is never
// ready, so an absent part simply contributes nothing.
type inputs struct {
	lost    <-chan vip.VIP
	links   <-chan vip.LinkEvent
	claims  <-chan vip.Claim
	haproxy <-chan failover.Event
	members <-chan membership.Event
	msgs    <-chan membership.Message
}

// run feeds the machine until ctx ends.
func (e *engine) run(ctx context.Context, in inputs, tick time.Duration) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	linkUp := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			e.step(ctx, failover.Tick{Now: now})
		case h := <-e.hb.Heard():
			e.heard(ctx, h)
		case ev := <-e.internal:
			e.step(ctx, ev)
		case ev := <-in.haproxy:
			e.step(ctx, ev)
		case v, ok := <-in.lost:
			if !ok {
				in.lost = nil
				continue
			}
			e.log.Warn("vip: removed from its interface by someone else; re-adding", "vip", v.String())
			e.step(ctx, failover.VIPLost{Now: time.Now()})
		case le, ok := <-in.links:
			if !ok {
				in.links = nil
				continue
			}
			linkUp[le.Link] = le.Up
			up := true
			for _, u := range linkUp {
				up = up && u
			}
			e.log.Info("link state", "link", le.Link, "up", le.Up)
			e.step(ctx, failover.DataLink{Now: time.Now(), Up: up})
		case c, ok := <-in.claims:
			if !ok {
				in.claims = nil
				continue
			}
			e.claim(ctx, c)
		case me, ok := <-in.members:
			if !ok {
				in.members = nil
				continue
			}
			e.log.Info("membership: "+me.Kind.String(), "node", me.Node, "addr", me.Addr.String())
			if me.Kind == membership.Leave {
				e.step(ctx, failover.PeerLeft{Now: me.At, Node: me.Node})
			}
		case msg, ok := <-in.msgs:
			if !ok {
				in.msgs = nil
				continue
			}
			if string(msg.Data) == handoverMessage {
				e.step(ctx, failover.HandoverRequested{Now: time.Now(), From: msg.From})
			}
		}
	}
}

func (e *engine) heard(ctx context.Context, h heartbeat.Heard) {
	w, err := decodeState(h.Payload)
	if err != nil {
		e.log.Warn("heartbeat: undecodable payload", "from", h.From, "err", err)
		return
	}
	e.mu.Lock()
	for _, m := range w.MACs {
		e.peerMACs[m] = w.State.Node
	}
	if w.State.Holds {
		if _, ok := e.peerHolds[w.State.Node]; !ok {
			e.peerHolds[w.State.Node] = h.At
		}
	} else {
		delete(e.peerHolds, w.State.Node)
	}
	e.mu.Unlock()
	e.step(ctx, failover.PeerHeard{Now: h.At, Path: failover.Path(h.Path), State: w.State})
}

func (e *engine) claim(ctx context.Context, c vip.Claim) {
	e.mu.Lock()
	peer, fromPeer := e.peerMACs[strings.ToLower(c.MAC.String())]
	e.mu.Unlock()
	if e.m.Role() != failover.Active {
		return // only a holder has a claim to defend
	}
	if !fromPeer {
		e.log.Warn("vip: claimed by an unknown host", "vip", c.VIP.String(), "mac", c.MAC.String())
	}
	e.step(ctx, failover.ForeignClaim{Now: c.At, FromPeer: fromPeer, Peer: peer})
}

// step feeds one event to the machine and carries out its actions.
func (e *engine) step(ctx context.Context, ev failover.Event) {
	for _, a := range e.m.Step(ev) {
		e.do(ctx, a)
	}
	e.publish()
}

func (e *engine) do(ctx context.Context, a failover.Action) {
	switch a := a.(type) {
	case failover.StartProbe:
		e.probe(ctx, a.ID)
	case failover.AcquireVIP:
		e.acquire(ctx)
	case failover.ReleaseVIP:
		e.release(ctx)
	case failover.Broadcast:
		e.setPayload(a.State) // before Kick: the send thread reads it
		e.hb.Kick()
	case failover.RequestHandover:
		if e.members != nil {
			if err := e.members.Send(a.To, []byte(handoverMessage)); err != nil {
				e.log.Warn("failback: handover request not sent", "to", a.To, "err", err)
			}
		}
	case failover.Transition:
		e.log.Info("role "+a.From.String()+" -> "+a.To.String(), "reason", a.Reason)
	}
}

// probe checks the LAN for anyone answering for a VIP, in the background,
// and reports back as a ProbeResult.
func (e *engine) probe(ctx context.Context, id uint64) {
	vips := e.holder.VIPs()
	wait := e.probeWait
	goSafe(e.log, "probe", func() {
		answered := false
		for _, v := range vips {
			ok, by, err := vip.Probe(ctx, v, wait)
			if err != nil {
				e.log.Warn("probe failed; treating the VIP as answered", "vip", v.String(), "err", err)
				answered = true
				break
			}
			if ok {
				e.log.Warn("probe: the VIP answers on the LAN; not taking it", "vip", v.String(), "by", by.String())
				answered = true
				break
			}
		}
		select {
		case e.internal <- failover.ProbeResult{Now: time.Now(), ID: id, Answered: answered}:
		case <-ctx.Done():
		}
	})
}

func (e *engine) acquire(ctx context.Context) {
	if e.drainTimer != nil {
		e.drainTimer.Stop()
		e.drainTimer = nil
	}
	if err := undrainVIPs(e.holder.VIPs()); err != nil {
		e.log.Warn("vip: clearing drained copies", "err", err)
	}
	start := time.Now()
	if err := e.holder.Acquire(ctx); err != nil {
		e.log.Error("vip: acquire failed", "err", err)
		return
	}
	e.log.Info("vip: acquired and announced", "vips", vipList(e.holder.VIPs()), "took", time.Since(start).String())
}

func (e *engine) release(ctx context.Context) {
	vips := e.holder.VIPs()
	if e.drainFor > 0 {
		if err := drainVIPs(vips); err != nil {
			e.log.Warn("vip: drain copies", "err", err)
		}
	}
	if err := e.holder.Release(ctx); err != nil {
		e.log.Error("vip: release failed", "err", err)
	}
	e.log.Info("vip: released", "vips", vipList(vips), "drain", e.drainFor.String())
	if e.drainFor > 0 {
		if e.drainTimer != nil {
			e.drainTimer.Stop()
		}
		e.drainTimer = time.AfterFunc(e.drainFor, func() {
			if e.holder.Held() {
				return
			}
			if err := undrainVIPs(vips); err != nil {
				e.log.Warn("vip: end of drain", "err", err)
			}
		})
	}
}

func vipList(vs []vip.VIP) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ",")
}

// setPayload makes s what the heartbeat sends. It encodes only when s
// changed: publish calls it after every step, ticks included.
func (e *engine) setPayload(s failover.PeerState) {
	if s == e.sent && e.payload != nil {
		return
	}
	p := encodeState(s, e.ownMACs)
	e.mu.Lock()
	e.payload = p
	e.mu.Unlock()
	e.sent = s
}

// publish refreshes the snapshot the control socket reads and the payload
// the heartbeat sends.
func (e *engine) publish() {
	snap := e.m.Snapshot()
	e.mu.Lock()
	e.snap = snap
	e.mu.Unlock()
	e.setPayload(e.m.State())
}

// currentPayload is the heartbeat's payload source.
func (e *engine) currentPayload() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.payload
}

// submit hands an event to the run loop.
func (e *engine) submit(ctx context.Context, ev failover.Event) error {
	select {
	case e.internal <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
