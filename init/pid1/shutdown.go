package pid1

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/boot"
	"tandem/init/reap"
)

const (
	// RuntimeStopTimeout bounds the runtime's own shutdown: VIP handover,
	// leave, drain, HAProxy's graceful stop.
	RuntimeStopTimeout = 45 * time.Second
	// KillGrace is how long the remaining processes get after SIGTERM.
	KillGrace = 5 * time.Second
)

// shutdown runs the shutdown steps in order and ends the process: reboot,
// halt or power off, or exit(0) where reboot(2) is not PID 1's to call.
func (p *pid1) shutdown(req boot.Request, stopConsole context.CancelFunc, consoleDone <-chan struct{}, out io.Writer) {
	by := req.By
	if req.Signal != nil {
		by = "signal " + req.Signal.String()
	}
	// The prompt holds log lines while it is open (a console reboot leaves
	// it open); stopping the console writes the held lines out, and from
	// here on the log goes straight to the console.
	stopConsole()
	select {
	case <-consoleDone:
	case <-time.After(time.Second):
	}
	echoDone := make(chan struct{})
	echoCtx, stopEcho := context.WithCancel(context.Background())
	boot.Go("console echo", nil, func() {
		defer close(echoDone)
		for {
			select {
			case l := <-p.log.queue.C():
				fmt.Fprintln(out, l)
			case <-echoCtx.Done():
				return
			}
		}
	})
	p.flush = func() {
		stopEcho()
		<-echoDone
		p.flushConsole(out)
	}
	p.log.Logf("shutdown: %s requested by %s; the console prompt is closed", req.Action, by)

	// Keep feeding the watchdog while the steps run (each is bounded); it
	// is disarmed just before the final reboot.
	feedCtx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	if p.wd != nil {
		boot.Go("watchdog", p.log.Log, func() { p.wd.Run(feedCtx, p.log.Log) })
	}

	steps := []boot.Step{
		{Name: "stop the runtime (hand the VIPs over, leave, stop HAProxy)", Timeout: RuntimeStopTimeout, Run: p.stopRuntime},
		{Name: "close /dev/log", Timeout: 2 * time.Second, Run: func(context.Context) error {
			if p.devLog == nil {
				return nil
			}
			return p.devLog.Close()
		}},
	}
	final := boot.FinalSteps(boot.Final{
		Action: req.Action, Mounts: p.mounted, Grace: KillGrace, Log: p.log.Log,
		Reboot: p.reboot,
	})
	steps = append(steps, final[:len(final)-1]...)
	steps = append(steps, boot.Step{Name: "disarm the watchdog", Timeout: 2 * time.Second, Run: func(context.Context) error {
		stopFeed()
		if p.wd == nil {
			return nil
		}
		return p.wd.Close()
	}})
	steps = append(steps, final[len(final)-1])
	(&boot.Shutdown{Steps: steps, Log: p.log.Log}).Run(context.Background())

	// Only reached when reboot(2) is not ours (or failed).
	p.flush()
	if !p.reboots {
		os.Exit(0)
	}
	for { // reboot(2) failed on the real machine: keep trying, never exit
		time.Sleep(5 * time.Second)
		_ = unix.Reboot(req.Action.RebootCmd())
	}
}

// reboot is the final step: reboot(2) on the machine, nothing in a
// container.
func (p *pid1) reboot(cmd int) error {
	if !p.reboots {
		p.log.Log("shutdown: not the initial PID namespace; exiting with status 0 instead of reboot(2)")
		return nil
	}
	p.log.Log("shutdown: reboot(2) now")
	p.flush() // the last lines reach the console before the machine goes
	return unix.Reboot(cmd)
}

// stopRuntime cancels the runtime and waits for it: it hands the VIPs
// over and leaves first, so the peer takes over at once, then stops
// HAProxy.
func (p *pid1) stopRuntime(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.rtCancel, p.rtDone
	p.mu.Unlock()
	if cancel == nil {
		p.log.Log("shutdown: no runtime running")
		return nil
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		p.log.Logf("shutdown: runtime stopped in %v (%s); haproxy processes left: %d",
			time.Since(start).Round(time.Millisecond), describe(err), countProcs("haproxy"))
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the runtime did not stop: %w", ctx.Err())
	}
}

// countProcs counts live processes whose command name is comm.
func countProcs(comm string) int {
	procs, err := reap.Procs()
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range procs {
		if p.Comm == comm && p.State != 'Z' {
			n++
		}
	}
	return n
}
