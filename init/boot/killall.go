package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/reap"
)

// pfKthread is PF_KTHREAD in /proc/PID/stat's flags field.
const pfKthread = 0x00200000

// KillAll sends SIGTERM to every other process, waits up to grace for them
// to exit (reaping orphans meanwhile), then sends SIGKILL and waits a little
// more. It only runs as PID 1: kill(-1) from anything else would hit every
// process the caller may signal on the host.
func KillAll(ctx context.Context, grace time.Duration, log func(string)) error {
	if os.Getpid() != 1 {
		return errors.New("kill processes: refusing, not PID 1")
	}
	if log == nil {
		log = func(string) {}
	}
	if n := remaining(); n == 0 {
		return nil
	}
	if err := unix.Kill(-1, unix.SIGTERM); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill processes: SIGTERM: %w", err)
	}
	if waitGone(ctx, grace) {
		return nil
	}
	log(fmt.Sprintf("kill processes: %d still running after %v, sending SIGKILL", remaining(), grace))
	if err := unix.Kill(-1, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill processes: SIGKILL: %w", err)
	}
	if waitGone(ctx, 2*time.Second) {
		return nil
	}
	return fmt.Errorf("kill processes: %d survive SIGKILL (stuck in the kernel?)", remaining())
}

// waitGone polls until no other process is left or d (or ctx) ends.
func waitGone(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		_, _ = reap.Orphans()
		if remaining() == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remaining counts live processes other than ourselves, leaving out kernel
// threads and zombies (a zombie has exited; its parent or reap collects it).
func remaining() int {
	procs, _ := reap.Procs()
	self := os.Getpid()
	n := 0
	for _, p := range procs {
		if p.PID == self || p.State == 'Z' || p.State == 'X' || p.Flags&pfKthread != 0 {
			continue
		}
		n++
	}
	return n
}

// Zombies counts zombie processes visible in /proc (for tests and status).
func Zombies() int {
	procs, _ := reap.Procs()
	n := 0
	for _, p := range procs {
		if p.State == 'Z' {
			n++
		}
	}
	return n
}
