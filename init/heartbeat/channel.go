package heartbeat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Heard is one accepted heartbeat.
type Heard struct {
	Path        string // local path it arrived on
	From        string // sender node name
	Incarnation uint64 // sender's incarnation
	Payload     []byte // sender's opaque payload (a copy)
	At          time.Time
	RTT         time.Duration // round trip on this path, 0 if unknown
}

// heardBuffer is how many heartbeats may wait in Heard() before new ones are
// dropped (and counted as Overflow).
const heardBuffer = 256

// sentRing remembers when recent sequence numbers were sent, for RTTs.
const sentRing = 256

// Channel is a running (or ready to run) heartbeat channel.
type Channel struct {
	cfg         Config
	key         []byte
	incarnation uint64
	paths       []*pathState
	kickFD      int // eventfd: Kick() wakes the sender
	stopFD      int // eventfd: stays readable once Run must stop
	heard       chan Heard

	mu       sync.Mutex // guards everything below and the paths' mutable fields
	closed   bool
	running  bool
	seq      uint64
	sent     [sentRing]sentRecord
	senders  map[string]*senderState
	counters Stats // scalar counters; Paths is filled in by Stats()
}

type pathState struct {
	name      string
	fd        int
	peerAddrs []netip.Addr
	peerSAs   []unix.Sockaddr
	echo      map[netip.Addr]echoRecord // last accepted packet per source address
	stats     PathStats
}

type sentRecord struct {
	seq uint64
	at  time.Time
}

type echoRecord struct {
	incarnation uint64
	seq         uint64
	path        string
	at          time.Time
}

// senderState is what we know of a remote node, for replay protection.
type senderState struct {
	incarnation uint64
	lastSeq     map[string]uint64 // by the sender's path name
}

// New validates cfg, derives the key and opens one socket per path.
func New(cfg Config) (*Channel, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	key, err := deriveKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	c := &Channel{
		cfg:         cfg,
		key:         key,
		incarnation: uint64(time.Now().UnixNano()),
		kickFD:      -1,
		stopFD:      -1,
		heard:       make(chan Heard, heardBuffer),
		senders:     map[string]*senderState{},
	}
	c.counters.Incarnation = c.incarnation
	for _, p := range cfg.Paths {
		fd, sas, err := openSocket(p, cfg.Port)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.paths = append(c.paths, &pathState{
			name: p.Name, fd: fd, peerAddrs: unmapAll(p.Peers), peerSAs: sas,
			echo:  map[netip.Addr]echoRecord{},
			stats: PathStats{Dropped: map[string]uint64{}},
		})
	}
	for _, fd := range []*int{&c.kickFD, &c.stopFD} {
		if *fd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
			c.Close()
			return nil, fmt.Errorf("heartbeat: eventfd: %w", err)
		}
	}
	return c, nil
}

func unmapAll(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = a.Unmap()
	}
	return out
}

// Incarnation is this node's incarnation number (wall clock ns at New).
func (c *Channel) Incarnation() uint64 { return c.incarnation }

// Heard delivers accepted heartbeats. It is closed when Run returns.
func (c *Channel) Heard() <-chan Heard { return c.heard }

// Kick makes the sender broadcast at once (on a state change). It never
// blocks and is a no-op once the channel is closed.
func (c *Channel) Kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		signalEventfd(c.kickFD)
	}
}

// Close releases the sockets. Run closes them itself when it returns; Close
// is for a channel that is never run. It is safe to call more than once.
func (c *Channel) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	for _, p := range c.paths {
		unix.Close(p.fd)
	}
	for _, fd := range []int{c.kickFD, c.stopFD} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	return nil
}

// Run sends heartbeats on every path every Interval and on Kick, and
// receives them, until ctx is done; then it closes the channel and Heard().
// payload is called once per broadcast for the bytes to carry (may be nil).
func (c *Channel) Run(ctx context.Context, payload func() []byte) error {
	c.mu.Lock()
	if c.closed || c.running {
		c.mu.Unlock()
		return errors.New("heartbeat: channel already ran or closed")
	}
	c.running = true
	c.mu.Unlock()
	if payload == nil {
		payload = func() []byte { return nil }
	}
	gmp := reserveProcs(2)
	defer releaseProcs(2)
	c.mu.Lock()
	c.counters.GOMAXPROCS = gmp
	c.mu.Unlock()

	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		signalEventfd(c.stopFD)
	}()

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, loop := range []func() error{
		func() error { return c.sendLoop(payload) },
		c.recvLoop,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Never unlocked: the thread's raised priority must not leak into
			// the runtime's pool, so it exits with this goroutine.
			runtime.LockOSThread()
			prio := raiseThreadPriority()
			c.mu.Lock()
			if i == 0 {
				c.counters.SendPriority = prio
			} else {
				c.counters.RecvPriority = prio
			}
			c.mu.Unlock()
			if errs[i] = loop(); errs[i] != nil {
				signalEventfd(c.stopFD) // a broken loop stops the other one
			}
		}()
	}
	wg.Wait()
	close(done)
	c.Close()
	close(c.heard)
	return errors.Join(errs...)
}

// signalEventfd adds 1 to an eventfd counter (never blocks: it is non-blocking).
func signalEventfd(fd int) {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(fd, one[:])
}

// drainEventfd resets an eventfd counter.
func drainEventfd(fd int) {
	var b [8]byte
	unix.Read(fd, b[:])
}

// newMAC returns an HMAC-SHA256 keyed for this channel; each loop owns one.
func (c *Channel) newMAC() hash.Hash { return hmac.New(sha256.New, c.key) }
