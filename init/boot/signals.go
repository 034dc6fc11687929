package boot

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/reap"
)

// Action is what PID 1 should do when asked to stop.
type Action int

const (
	ActionNone Action = iota
	ActionReboot
	ActionHalt
	ActionPowerOff
)

func (a Action) String() string {
	switch a {
	case ActionReboot:
		return "reboot"
	case ActionHalt:
		return "halt"
	case ActionPowerOff:
		return "poweroff"
	}
	return "none"
}

// RebootCmd is the reboot(2) command for an action (power off by default).
func (a Action) RebootCmd() int {
	switch a {
	case ActionReboot:
		return unix.LINUX_REBOOT_CMD_RESTART
	case ActionHalt:
		return unix.LINUX_REBOOT_CMD_HALT
	}
	return unix.LINUX_REBOOT_CMD_POWER_OFF
}

// ActionFor maps a signal to PID 1 the way busybox init does, which is what
// `reboot`, `halt` and `poweroff` from busybox or from `tandem` send:
//
//	SIGTERM → reboot      SIGINT → reboot (ctrl-alt-del, after DisableCAD)
//	SIGUSR1 → halt        SIGUSR2 → poweroff     SIGPWR → poweroff (UPS/ACPI)
func ActionFor(sig os.Signal) Action {
	switch sig {
	case unix.SIGTERM, unix.SIGINT:
		return ActionReboot
	case unix.SIGUSR1:
		return ActionHalt
	case unix.SIGUSR2, unix.SIGPWR:
		return ActionPowerOff
	}
	return ActionNone
}

// DisableCAD makes ctrl-alt-del send SIGINT to PID 1 instead of rebooting
// at once. Outside the initial PID namespace the kernel refuses (EINVAL).
func DisableCAD() error {
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF); err != nil {
		return fmt.Errorf("disable ctrl-alt-del: %w", err)
	}
	return nil
}

// Request is a shutdown request from a signal.
type Request struct {
	Action Action
	Signal os.Signal
	By     string // who asked, when not a signal ("the console", "the power button")
}

// Signals turns PID 1's signals into shutdown requests and reaps orphans on
// every SIGCHLD and on a timer (SIGCHLD coalesces, and a child may have
// exited before the handler was installed).
type Signals struct {
	requests chan Request
	reaped   atomic.Int64
	cancel   context.CancelFunc
	done     chan struct{}
}

// SweepInterval is how often Signals reaps without a SIGCHLD.
const SweepInterval = 5 * time.Second

// WatchSignals subscribes to SIGTERM, SIGINT, SIGPWR, SIGUSR1, SIGUSR2 and
// SIGCHLD until ctx ends or Stop is called. sweep <= 0 means SweepInterval.
func WatchSignals(ctx context.Context, log func(string), sweep time.Duration) *Signals {
	if sweep <= 0 {
		sweep = SweepInterval
	}
	if log == nil {
		log = func(string) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Signals{requests: make(chan Request, 4), cancel: cancel, done: make(chan struct{})}
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT, unix.SIGPWR, unix.SIGUSR1, unix.SIGUSR2, unix.SIGCHLD)
	go func() {
		defer close(s.done)
		defer signal.Stop(ch)
		t := time.NewTicker(sweep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.reap(log)
			case sig := <-ch:
				if sig == syscall.SIGCHLD {
					s.reap(log)
					continue
				}
				a := ActionFor(sig)
				log(fmt.Sprintf("signal %v: %v requested", sig, a))
				select {
				case s.requests <- Request{Action: a, Signal: sig}:
				default: // a shutdown is already pending; it wins
				}
			}
		}
	}()
	return s
}

func (s *Signals) reap(log func(string)) {
	_ = runRecover("reaper", log, func() {
		n, err := reap.Orphans()
		if err != nil {
			log(err.Error())
		}
		s.reaped.Add(int64(n))
	})
}

// Requests delivers shutdown requests.
func (s *Signals) Requests() <-chan Request { return s.requests }

// Reaped is how many orphans have been reaped so far.
func (s *Signals) Reaped() int64 { return s.reaped.Load() }

// Stop unsubscribes and waits for the loop to end.
func (s *Signals) Stop() {
	s.cancel()
	<-s.done
}
