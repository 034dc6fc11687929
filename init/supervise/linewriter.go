package supervise

import (
	"bytes"
	"strings"
	"sync"
)

// maxLine bounds a partial line so a process writing without newlines
// cannot grow memory without limit; longer lines are split.
const maxLine = 4096

// LineWriter is an io.Writer that stores each complete line in a Ring.
type LineWriter struct{ w lineWriter }

// Write stores every complete line of p; a trailing partial line waits
// for the next Write or Flush.
func (lw *LineWriter) Write(p []byte) (int, error) { return lw.w.Write(p) }

// Flush stores a pending partial line, if any.
func (lw *LineWriter) Flush() { lw.w.Flush() }

type lineWriter struct {
	ring    *Ring
	source  string
	mu      sync.Mutex
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			for len(w.partial) >= maxLine {
				w.emit(w.partial[:maxLine])
				w.partial = append(w.partial[:0], w.partial[maxLine:]...)
			}
			break
		}
		if len(w.partial) > 0 {
			w.partial = append(w.partial, p[:i]...)
			w.emit(w.partial)
			w.partial = w.partial[:0]
		} else {
			w.emit(p[:i])
		}
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = w.partial[:0]
	}
}

// emit stores one line, in maxLine pieces if it is longer.
func (w *lineWriter) emit(b []byte) {
	for len(b) > maxLine {
		w.ring.Add(w.source, string(b[:maxLine]))
		b = b[maxLine:]
	}
	w.ring.Add(w.source, strings.TrimRight(string(b), "\r"))
}
