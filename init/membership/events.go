package membership

import (
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
)

// EventKind says what happened to a member.
type EventKind int

const (
	Join   EventKind = iota // a node joined (or came back)
	Leave                   // a node left gracefully (it said so)
	Fail                    // a node was declared dead by failure detection
	Update                  // a node's metadata or address changed
)

func (k EventKind) String() string {
	switch k {
	case Join:
		return "join"
	case Leave:
		return "leave"
	case Fail:
		return "fail"
	case Update:
		return "update"
	}
	return "unknown"
}

// Event is one membership change. Leave and Fail both mean the node is gone.
type Event struct {
	Kind EventKind
	Node string
	Addr netip.Addr
	At   time.Time
}

// Message is a reliable message from another node.
type Message struct {
	From string
	Data []byte
}

// Member is one node as currently known.
type Member struct {
	Name  string
	Addr  netip.Addr
	State string // "alive", "dead" or "left"
}

func nodeAddr(n *memberlist.Node) netip.Addr {
	a, _ := netip.AddrFromSlice(n.Addr)
	return a.Unmap()
}

// events implements memberlist.EventDelegate.
type events struct{ m *Members }

func (e events) NotifyJoin(n *memberlist.Node) { e.m.event(Join, n) }

// NotifyLeave cannot tell a graceful leave from a death by itself: memberlist
// keeps the left/dead distinction in its private state (Node.State is never
// updated). A leaving node therefore first sends a "leaving" message
// (see Leave); a departure without one is a failure.
func (e events) NotifyLeave(n *memberlist.Node) { e.m.departure(n) }

func (e events) NotifyUpdate(n *memberlist.Node) { e.m.event(Update, n) }

// delegate implements memberlist.Delegate: only user messages are used.
type delegate struct{ m *Members }

func (d delegate) NodeMeta(limit int) []byte                  { return nil }
func (d delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d delegate) LocalState(join bool) []byte                { return nil }
func (d delegate) MergeRemoteState(buf []byte, join bool)     {}

// Message frames: a type byte, a one-byte sender-name length, the name,
// then the data.
const (
	frameUser    byte = 0 // an application message, delivered on Messages()
	frameLeaving byte = 1 // the sender is leaving gracefully
)

func frame(kind byte, from string, data []byte) []byte {
	b := make([]byte, 0, 2+len(from)+len(data))
	b = append(b, kind, byte(len(from)))
	b = append(b, from...)
	return append(b, data...)
}

// NotifyMsg receives a frame. buf is reused by memberlist: copy.
func (d delegate) NotifyMsg(buf []byte) {
	if len(buf) < 2 || len(buf) < 2+int(buf[1]) {
		d.m.logf("membership: dropped a malformed message (%d bytes)", len(buf))
		return
	}
	from := string(buf[2 : 2+int(buf[1])])
	switch buf[0] {
	case frameUser:
		d.m.message(Message{From: from, Data: append([]byte(nil), buf[2+int(buf[1]):]...)})
	case frameLeaving:
		d.m.leaving(from)
	default:
		d.m.logf("membership: dropped a message of unknown type %d from %s", buf[0], from)
	}
}
