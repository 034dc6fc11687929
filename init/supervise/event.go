package supervise

import (
	"fmt"
	"sync"
	"time"
)

// EventKind says what happened to a supervised process.
type EventKind int

const (
	// Started: the process is running with PID.
	Started EventKind = iota + 1
	// Exited: the process exited (or was killed) on its own; Err holds the
	// wait status. A restart follows after backoff.
	Exited
	// Stopped: the process exited because Stop asked it to; no restart.
	Stopped
	// StartFailed: BeforeStart or exec failed (Err says why); the start is
	// retried after backoff.
	StartFailed
)

func (k EventKind) String() string {
	switch k {
	case Started:
		return "started"
	case Exited:
		return "exited"
	case Stopped:
		return "stopped"
	case StartFailed:
		return "start-failed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports one change of a supervised process.
type Event struct {
	Kind EventKind
	PID  int
	Err  error
	At   time.Time
}

func (e Event) String() string {
	s := fmt.Sprintf("%s pid=%d", e.Kind, e.PID)
	if e.Err != nil {
		s += " err=" + e.Err.Error()
	}
	return s
}

// Queue delivers values in order on a channel without ever blocking the
// producer: a supervisor must restart a process even if nobody reads its
// events. If nobody reads at all, only the newest 4096 values are kept.
type Queue[T any] struct {
	mu      sync.Mutex
	pending []T
	wake    chan struct{}
	out     chan T
}

// NewQueue returns an empty queue and starts its delivery goroutine.
func NewQueue[T any]() *Queue[T] {
	q := &Queue[T]{wake: make(chan struct{}, 1), out: make(chan T)}
	go q.pump()
	return q
}

// Push appends v; it never blocks.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	// Bound memory if nobody ever reads: keep the newest events.
	if len(q.pending) >= 4096 {
		q.pending = q.pending[1:]
	}
	q.pending = append(q.pending, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// C returns the channel the values arrive on, in Push order.
func (q *Queue[T]) C() <-chan T { return q.out }

func (q *Queue[T]) pump() {
	for range q.wake {
		for {
			q.mu.Lock()
			if len(q.pending) == 0 {
				q.mu.Unlock()
				break
			}
			v := q.pending[0]
			q.pending = q.pending[1:]
			q.mu.Unlock()
			q.out <- v
		}
	}
}
