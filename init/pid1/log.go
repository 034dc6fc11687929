package pid1

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/supervise"
)

// logger writes PID 1's lines kernel-style ("[    1.234567] tandem: ...")
// to the console and keeps them in the log ring that `logs` reads. Console
// lines go through a queue that never blocks: a stuck console must not
// stall PID 1.
type logger struct {
	ring  *supervise.Ring
	queue *supervise.Queue[string]
}

func newLogger(ring *supervise.Ring) *logger {
	return &logger{ring: ring, queue: supervise.NewQueue[string]()}
}

// uptime is the time since boot, as the kernel stamps its own lines.
func uptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// stamp formats d as the kernel does: "[    1.234567] ".
func stamp(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("[%5d.%06d] ", us/1e6, us%1e6)
}

// Log writes one message; each of its lines becomes a log line.
func (l *logger) Log(msg string) {
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		l.ring.Add("init", line)
		l.queue.Push(stamp(uptime()) + "tandem: " + line)
	}
}

// Logf is Log with formatting.
func (l *logger) Logf(format string, args ...any) { l.Log(fmt.Sprintf(format, args...)) }

// consoleWriter is an io.Writer for the runtime's log output: each complete
// line goes to the console with a kernel-style stamp. The runtime keeps its
// lines in the ring itself, so they are not added twice.
type consoleWriter struct {
	l       *logger
	mu      sync.Mutex
	partial []byte
}

func (w *consoleWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := strings.IndexByte(string(w.partial), '\n')
		if i < 0 {
			break
		}
		w.l.queue.Push(stamp(uptime()) + string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}
