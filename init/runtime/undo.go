package runtime

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// undoStack records how to stop each part of the runtime as it starts, so
// that a start-up that fails half-way, or is cancelled, leaves nothing
// behind: PID 1 retries Run in the same process, and a retry must find the
// ports, sockets and VIPs free. The graceful shutdown ends with it too.
type undoStack struct {
	log   *slog.Logger
	steps []undoStep
}

type undoStep struct {
	part string
	fn   func()
}

// startedHook, when set (by tests only), is called after each part has
// started and before the next one starts.
var startedHook func(n *node, part string)

// push records that part has started and how to stop it.
func (u *undoStack) push(n *node, part string, fn func()) {
	u.steps = append(u.steps, undoStep{part: part, fn: fn})
	if startedHook != nil {
		startedHook(n, part)
	}
}

// run stops every recorded part, the last started first. A panic in one
// stop is logged and the others still run. The stack is empty afterwards.
func (u *undoStack) run() {
	for i := len(u.steps) - 1; i >= 0; i-- {
		s := u.steps[i]
		u.log.Debug("stopping", "part", s.part)
		func() {
			defer func() {
				if r := recover(); r != nil {
					u.log.Error("panic recovered", "in", "stopping "+s.part, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				}
			}()
			s.fn()
		}()
	}
	u.steps = nil
}
