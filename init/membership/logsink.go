package membership

import (
	"bytes"
	"strings"
	"sync"
)

// logSink adapts memberlist's log.Logger output to a func(string) sink and
// keeps it quiet: DEBUG lines (one per probe and gossip) are dropped.
type logSink struct {
	mu   sync.Mutex
	sink func(string)
	buf  []byte
}

func (w *logSink) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSpace(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
		if line != "" && !strings.Contains(line, "[DEBUG]") && w.sink != nil {
			w.sink(line)
		}
	}
}
