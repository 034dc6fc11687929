package boot

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// Go runs fn in a goroutine that recovers a panic and logs it with its
// stack, so one failing part never ends PID 1 (the kernel panics when init
// exits). It cannot catch fatal runtime errors such as concurrent map
// writes, nor panics in goroutines that fn itself starts.
func Go(name string, log func(string), fn func()) {
	go func() { _ = runRecover(name, log, fn) }()
}

// GoRestart is Go for a long-lived loop: after a panic it waits delay and
// runs fn again, until ctx ends. A normal return ends it.
func GoRestart(ctx context.Context, name string, log func(string), delay time.Duration, fn func(ctx context.Context)) {
	go func() {
		for ctx.Err() == nil {
			if !runRecover(name, log, func() { fn(ctx) }) {
				return
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			log(fmt.Sprintf("%s: restarting after panic", name))
		}
	}()
}

// runRecover runs fn and reports whether it panicked.
func runRecover(name string, log func(string), fn func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			if log != nil {
				log(fmt.Sprintf("%s: panic: %v\n%s", name, r, debug.Stack()))
			}
		}
	}()
	fn()
	return false
}
