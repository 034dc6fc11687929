package heartbeat

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// rtPriority is a low real-time priority: above every normal task, below
// the kernel's own RT threads (which use 50 and up).
const rtPriority = 10

// raiseThreadPriority raises the calling OS thread (the caller must have
// locked its goroutine to it, and must never unlock it, so the thread dies
// with the goroutine instead of returning to the Go runtime's pool). It
// tries SCHED_FIFO first and falls back to nice -10; it returns what it got.
func raiseThreadPriority() string {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: rtPriority}
	if err := unix.SchedSetAttr(0, &attr, 0); err == nil {
		return fmt.Sprintf("SCHED_FIFO %d", rtPriority)
	}
	if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), -10); err == nil {
		return "nice -10"
	}
	return "normal"
}
