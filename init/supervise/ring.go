package supervise

import (
	"sync"
	"time"
)

// DefaultRingSize is the number of lines a ring keeps when NewRing gets 0.
const DefaultRingSize = 2000

// Line is one log line held in a Ring.
type Line struct {
	At     time.Time
	Source string
	Text   string
}

// Ring is a fixed-size, concurrency-safe buffer of log lines. When it is
// full the oldest line is dropped. Followers subscribe to new lines.
type Ring struct {
	mu    sync.Mutex
	buf   []Line
	next  int // index the next line is written to
	full  bool
	subs  map[chan Line]struct{}
	write *lineWriter // the Ring's own io.Writer, source ""
}

// NewRing returns a ring keeping the last size lines (DefaultRingSize if
// size <= 0).
func NewRing(size int) *Ring {
	if size <= 0 {
		size = DefaultRingSize
	}
	r := &Ring{buf: make([]Line, size), subs: map[chan Line]struct{}{}}
	r.write = &lineWriter{ring: r}
	return r
}

// Add appends one line, stamped now.
func (r *Ring) Add(source, text string) {
	r.AddLine(Line{At: time.Now(), Source: source, Text: text})
}

// AddLine appends l as is. Followers that are not keeping up miss the
// line rather than block the writer: a log reader must never stall the
// process it watches.
func (r *Ring) AddLine(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = l
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	for ch := range r.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

// Write implements io.Writer: it splits p into lines (keeping a trailing
// partial line for the next call) and stores each with an empty source.
func (r *Ring) Write(p []byte) (int, error) { return r.write.Write(p) }

// Writer returns an io.Writer that stores every line written to it under
// source. Each writer keeps its own partial line.
func (r *Ring) Writer(source string) *LineWriter {
	return &LineWriter{w: lineWriter{ring: r, source: source}}
}

// Lines returns the last n lines, oldest first (all of them if n <= 0).
func (r *Ring) Lines(n int) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	count := r.next
	if r.full {
		count = len(r.buf)
	}
	if n <= 0 || n > count {
		n = count
	}
	out := make([]Line, n)
	start := r.next - n
	if start < 0 {
		start += len(r.buf)
	}
	for i := range out {
		out[i] = r.buf[(start+i)%len(r.buf)]
	}
	return out
}

// Subscribe returns a channel receiving every line added from now on (up to
// buffer lines may queue; a follower that falls further behind misses
// lines) and a cancel function that closes the channel.
func (r *Ring) Subscribe(buffer int) (<-chan Line, func()) {
	if buffer <= 0 {
		buffer = 256
	}
	ch := make(chan Line, buffer)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.subs, ch)
			r.mu.Unlock()
			close(ch)
		})
	}
}
