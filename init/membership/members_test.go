package membership

import (
	"net/netip"
	"os/exec"
	"sync"
	"testing"
	"time"

	"tandem/test/netnstest"
)

var (
	addrA  = netip.MustParseAddr("127.0.0.1")
	addrB  = netip.MustParseAddr("127.0.0.2")
	addrC  = netip.MustParseAddr("127.0.0.3")
	secret = []byte("test secret: correct horse battery staple")
)

// node is a Members under test with everything it reported.
type node struct {
	*Members
	mu     sync.Mutex
	events []Event
	msgs   []Message
	logs   []string
}

func startNode(t *testing.T, name string, bind netip.Addr, key []byte, peers ...netip.Addr) *node {
	t.Helper()
	n := &node{}
	m, err := Start(Config{Cluster: "HAcluster", Node: name, Key: key, Bind: bind, Peers: peers}, func(s string) {
		n.mu.Lock()
		n.logs = append(n.logs, s)
		n.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	n.Members = m
	go func() {
		for ev := range m.Events() {
			n.mu.Lock()
			n.events = append(n.events, ev)
			n.mu.Unlock()
		}
	}()
	go func() {
		for msg := range m.Messages() {
			n.mu.Lock()
			n.msgs = append(n.msgs, msg)
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { m.Shutdown() })
	return n
}

// alive counts members in state alive.
func (n *node) alive() int {
	c := 0
	for _, m := range n.Members.Members() {
		if m.State == "alive" {
			c++
		}
	}
	return c
}

func (n *node) eventFor(kind EventKind, name string, after time.Time) (Event, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ev := range n.events {
		if ev.Kind == kind && ev.Node == name && !ev.At.Before(after) {
			return ev, true
		}
	}
	return Event{}, false
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(t0)
}

func TestJoinMessageAndGracefulLeave(t *testing.T) {
	if !netnstest.InPrivateNetns(t) {
		return
	}
	t0 := time.Now()
	a := startNode(t, "haproxy1", addrA, secret, addrB) // B is not up yet: not an error
	b := startNode(t, "haproxy2", addrB, secret, addrA)
	took := waitFor(t, 3*time.Second, "both nodes see two alive members", func() bool { return a.alive() == 2 && b.alive() == 2 })
	t.Logf("joined %s after the second start", took)
	if ev, ok := a.eventFor(Join, "haproxy2", t0); !ok || ev.Addr != addrB {
		t.Errorf("a: no join event for haproxy2 at %s (got %+v)", addrB, ev)
	}
	got := a.Members.Members()
	if len(got) != 2 || got[1] != (Member{Name: "haproxy2", Addr: addrB, State: "alive"}) {
		t.Errorf("a.Members() = %+v", got)
	}

	// Reliable messages, both ways, with the sender's name.
	if err := a.Send("haproxy2", []byte("please hand over the VIP")); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("haproxy1", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "messages", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(a.msgs) == 1 && len(b.msgs) == 1
	})
	if b.msgs[0].From != "haproxy1" || string(b.msgs[0].Data) != "please hand over the VIP" || a.msgs[0].From != "haproxy2" {
		t.Errorf("messages: b got %+v, a got %+v", b.msgs, a.msgs)
	}
	if err := a.Send("nobody", []byte("x")); err == nil {
		t.Error("send to an unknown node succeeded")
	}

	// Graceful leave: the other side sees a Leave (not a Fail) at once.
	left := time.Now()
	if err := b.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			a.mu.Lock()
			t.Logf("a events: %+v\nmembers %+v\nlogs %q", a.events, a.Members.Members(), a.logs)
			a.mu.Unlock()
		}
	})
	waitFor(t, 2*time.Second, "leave event", func() bool { _, ok := a.eventFor(Leave, "haproxy2", left); return ok })
	ev, _ := a.eventFor(Leave, "haproxy2", left)
	took = ev.At.Sub(left)
	t.Logf("leave event on the other side %s after Leave was called", took)
	if took > 200*time.Millisecond {
		t.Errorf("leave took %s to be seen, want ~100ms", took)
	}
	if _, ok := a.eventFor(Fail, "haproxy2", left); ok {
		t.Error("graceful leave reported as a failure")
	}
	if err := b.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// The departed node stays listed, as left; the rejoin loop of the
	// leaver is stopped, and a does not resurrect it.
	time.Sleep(1500 * time.Millisecond)
	got = a.Members.Members()
	if len(got) != 2 || got[1].State != "left" {
		t.Errorf("after leave a.Members() = %+v", got)
	}
}

func TestWrongKeyCannotJoin(t *testing.T) {
	if !netnstest.InPrivateNetns(t) {
		return
	}
	a := startNode(t, "haproxy1", addrA, secret, addrB)
	b := startNode(t, "haproxy2", addrB, secret, addrA)
	waitFor(t, 3*time.Second, "a and b joined", func() bool { return a.alive() == 2 && b.alive() == 2 })

	t0 := time.Now()
	wrong := append([]byte(nil), secret...)
	wrong[0] ^= 1
	c := startNode(t, "intruder", addrC, wrong, addrA, addrB)
	// Give it several rejoin attempts and gossip rounds.
	time.Sleep(2500 * time.Millisecond)
	for name, n := range map[string]*node{"a": a, "b": b} {
		for _, m := range n.Members.Members() {
			if m.Name == "intruder" {
				t.Errorf("%s lists the intruder: %+v", name, m)
			}
		}
		if _, ok := n.eventFor(Join, "intruder", t0); ok {
			t.Errorf("%s got a join event for the intruder", name)
		}
	}
	if got := c.Members.Members(); len(got) != 1 {
		t.Errorf("intruder sees %+v", got)
	}
	c.mu.Lock()
	t.Logf("intruder's log (first lines): %q", c.logs[:min(2, len(c.logs))])
	c.mu.Unlock()
	if a.alive() != 2 || b.alive() != 2 {
		t.Error("the intruder disturbed the cluster")
	}
}

func TestRejoinAfterPartition(t *testing.T) {
	if !netnstest.InPrivateNetns(t) {
		return
	}
	a := startNode(t, "haproxy1", addrA, secret, addrB)
	b := startNode(t, "haproxy2", addrB, secret, addrA)
	waitFor(t, 3*time.Second, "a and b joined", func() bool { return a.alive() == 2 && b.alive() == 2 })

	// Partition: drop all memberlist traffic (this private netns only). By
	// port, not by address pair: on loopback a TCP dial to 127.0.0.1 takes
	// 127.0.0.1 as its source whichever node dials.
	cut := time.Now()
	nft(t, `table inet thpart {
	chain in { type filter hook input priority 0; policy accept;
		udp dport 7946 drop
		tcp dport 7946 drop
	}
}`)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("nft", "list", "ruleset").CombinedOutput()
			t.Logf("ruleset %s", out)
			for _, n := range []*node{a, b} {
				n.mu.Lock()
				t.Logf("events: %+v\nmembers %+v\nlogs %q", n.events, n.Members.Members(), n.logs)
				n.mu.Unlock()
			}
		}
	})
	took := waitFor(t, 10*time.Second, "both sides declare the other dead", func() bool {
		_, okA := a.eventFor(Fail, "haproxy2", cut)
		_, okB := b.eventFor(Fail, "haproxy1", cut)
		return okA && okB
	})
	t.Logf("partition detected (fail events on both sides) after %s", took)

	heal := time.Now()
	nft(t, "delete table inet thpart")
	took = waitFor(t, 10*time.Second, "rejoin after heal", func() bool { return a.alive() == 2 && b.alive() == 2 })
	t.Logf("rejoined %s after the partition healed", took)
	if took > 5*time.Second {
		t.Errorf("rejoin took %s, want a few seconds", took)
	}
	if _, ok := a.eventFor(Join, "haproxy2", heal); !ok {
		t.Error("no join event after the heal")
	}
}
