package membership

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// channelBuffer is how many events or messages may wait unread; beyond it
// new ones are dropped and logged, never blocking memberlist.
const channelBuffer = 256

// Members is a running membership.
type Members struct {
	cfg   Config
	ml    *memberlist.Memberlist
	log   func(string)
	peers []string // "addr:port" to join

	events   chan Event
	messages chan Message
	stop     context.CancelFunc
	rejoined sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	left     bool
	departed map[string]Member    // nodes seen leaving or failing, until they rejoin
	byes     map[string]time.Time // nodes that announced they are leaving
}

// byeValid is how long a "leaving" announcement explains a departure.
const byeValid = 30 * time.Second

// Start creates the memberlist, tries to join the peers (a peer that is
// down is not an error) and starts the rejoin loop. log receives
// memberlist's warnings and errors and this package's notes; nil discards.
func Start(cfg Config, logf func(string)) (*Members, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	key, err := deriveKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string) {}
	}
	m := &Members{
		cfg:      cfg,
		log:      logf,
		events:   make(chan Event, channelBuffer),
		messages: make(chan Message, channelBuffer),
		departed: map[string]Member{},
		byes:     map[string]time.Time{},
	}
	for _, p := range cfg.Peers {
		m.peers = append(m.peers, netip.AddrPortFrom(p.Unmap(), cfg.port()).String())
	}
	mc := memberlistConfig(cfg, key)
	mc.Events = events{m}
	mc.Delegate = delegate{m}
	mc.LogOutput = nil
	mc.Logger = log.New(io.Writer(&logSink{sink: logf}), "", 0)
	m.ml, err = memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("membership: start on %s: %w", netip.AddrPortFrom(cfg.Bind, cfg.port()), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	m.rejoined.Add(1)
	go m.rejoinLoop(ctx)
	return m, nil
}

// join tries every peer once; a failure is only logged.
func (m *Members) join() {
	if len(m.peers) == 0 {
		return
	}
	if n, err := m.ml.Join(m.peers); err != nil {
		m.logf("membership: join %v: %d reached: %v", m.peers, n, err)
	}
}

// rejoinLoop retries the peers whenever this node is alone: memberlist
// stops probing a node it declared dead, so after a partition heals
// neither side would contact the other again by itself.
//
// The first join happens here too, in the background: a peer that is down
// would hold the caller for memberlist's dial timeout (2 s), and the
// runtime's HAProxy start must not wait for it.
func (m *Members) rejoinLoop(ctx context.Context) {
	defer m.rejoined.Done()
	m.join()
	t := time.NewTicker(rejoinEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.mu.Lock()
		skip := m.left || m.closed
		m.mu.Unlock()
		if !skip && m.ml.NumMembers() <= 1 {
			m.join()
		}
	}
}

// Events delivers membership changes. It is closed by Shutdown.
func (m *Members) Events() <-chan Event { return m.events }

// Messages delivers messages sent by other nodes with Send. It is closed by Shutdown.
func (m *Members) Messages() <-chan Message { return m.messages }

// Send delivers msg reliably (over TCP) to the named node.
func (m *Members) Send(node string, msg []byte) error {
	for _, n := range m.ml.Members() {
		if n.Name != node {
			continue
		}
		if err := m.ml.SendReliable(n, frame(frameUser, m.cfg.Node, msg)); err != nil {
			return fmt.Errorf("membership: send to %s: %w", node, err)
		}
		return nil
	}
	return fmt.Errorf("membership: send to %s: not a live member", node)
}

// Members lists this node and every other node known: the live ones as
// memberlist sees them, and those that left or failed since.
func (m *Members) Members() []Member {
	var out []Member
	live := map[string]bool{}
	m.mu.Lock()
	for _, n := range m.ml.Members() {
		if d, gone := m.departed[n.Name]; gone {
			out = append(out, d) // announced its leave; memberlist has not caught up yet
		} else {
			out = append(out, Member{Name: n.Name, Addr: nodeAddr(n), State: "alive"})
		}
		live[n.Name] = true
	}
	for name, d := range m.departed {
		if !live[name] {
			out = append(out, d)
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Leave tells the other nodes this node is leaving: first a direct
// "leaving" message to each (so they report Leave, not Fail, at once), then
// memberlist's own leave broadcast, waiting up to timeout for it to go out.
// The rejoin loop stops. Call Shutdown after.
func (m *Members) Leave(timeout time.Duration) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return errors.New("membership: leave after shutdown")
	}
	m.left = true
	m.mu.Unlock()
	for _, n := range m.ml.Members() {
		if n.Name != m.cfg.Node {
			if err := m.ml.SendReliable(n, frame(frameLeaving, m.cfg.Node, nil)); err != nil {
				m.logf("membership: tell %s we are leaving: %v", n.Name, err)
			}
		}
	}
	if err := m.ml.Leave(timeout); err != nil {
		return fmt.Errorf("membership: leave: %w", err)
	}
	return nil
}

// Shutdown stops memberlist without telling anyone (use Leave first for a
// graceful exit) and closes Events and Messages. Safe to call twice.
func (m *Members) Shutdown() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.mu.Unlock()
	m.stop()
	m.rejoined.Wait()
	err := m.ml.Shutdown()
	m.mu.Lock()
	m.closed = true
	close(m.events)
	close(m.messages)
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("membership: shutdown: %w", err)
	}
	return nil
}

// event records and delivers a join or update (called by memberlist).
func (m *Members) event(kind EventKind, n *memberlist.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kind == Join {
		delete(m.departed, n.Name)
		delete(m.byes, n.Name)
	}
	m.emitLocked(Event{Kind: kind, Node: n.Name, Addr: nodeAddr(n), At: time.Now()})
}

// leaving handles a node's announcement that it leaves: reported at once.
func (m *Members) leaving(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var addr netip.Addr
	for _, n := range m.ml.Members() {
		if n.Name == name {
			addr = nodeAddr(n)
		}
	}
	if d, ok := m.departed[name]; ok && d.State == "left" {
		return
	}
	m.byes[name] = time.Now()
	m.departed[name] = Member{Name: name, Addr: addr, State: "left"}
	m.emitLocked(Event{Kind: Leave, Node: name, Addr: addr, At: time.Now()})
}

// departure handles memberlist's verdict that a node is gone: a Leave
// already reported if it said goodbye, a Fail otherwise.
func (m *Members) departure(n *memberlist.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at, ok := m.byes[n.Name]; ok && time.Since(at) < byeValid {
		m.departed[n.Name] = Member{Name: n.Name, Addr: nodeAddr(n), State: "left"}
		return
	}
	m.departed[n.Name] = Member{Name: n.Name, Addr: nodeAddr(n), State: "dead"}
	m.emitLocked(Event{Kind: Fail, Node: n.Name, Addr: nodeAddr(n), At: time.Now()})
}

// emitLocked delivers an event without ever blocking memberlist; m.mu held.
func (m *Members) emitLocked(ev Event) {
	if m.closed {
		return
	}
	select {
	case m.events <- ev:
	default:
		m.log(fmt.Sprintf("membership: event queue full, dropped %s %s", ev.Kind, ev.Node))
	}
}

// message delivers one received message (called by memberlist).
func (m *Members) message(msg Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	select {
	case m.messages <- msg:
	default:
		m.log(fmt.Sprintf("membership: message queue full, dropped a message from %s", msg.From))
	}
}

func (m *Members) logf(format string, args ...any) { m.log(fmt.Sprintf(format, args...)) }
