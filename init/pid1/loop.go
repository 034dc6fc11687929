package pid1

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tandem/init/boot"
	"tandem/init/cli"
	"tandem/init/control"
	"tandem/init/runtime"
	"tandem/init/seed"
)

const (
	// RetryInterval is how often PID 1 looks for a seed again while it has
	// none, and restarts a runtime that could not start.
	RetryInterval = 10 * time.Second
	// RemindEvery is how many retries pass between reminders on the console
	// of why the node is not running.
	RemindEvery = 3
	// discoverTimeout bounds one seed discovery (it may run haproxy -c).
	discoverTimeout = 60 * time.Second
	// SeedTempDir holds seeds read from a volume or fw_cfg while validated.
	SeedTempDir = "/run/tandem/seed"
)

// mainLoop looks for a seed, runs the runtime, restarts what fails, feeds
// the watchdog, and returns the first shutdown request. It never blocks on
// discovery or the runtime: both run in their own goroutines, so a hung
// part stops the watchdog feed only if it hangs this loop.
func (p *pid1) mainLoop(ctx context.Context) boot.Request {
	var feed <-chan time.Time
	if p.wd != nil {
		t := time.NewTicker(p.wd.Timeout() / 3)
		defer t.Stop()
		feed = t.C
		p.feedWatchdog()
	}
	retry := time.NewTimer(0)
	defer retry.Stop()
	discovered := make(chan *seed.Found, 1)
	var lastReport string
	misses := 0
	for {
		var req boot.Request
		stop := false
		err := runRecovered("main loop", p.log.Log, func() error {
			select {
			case <-retry.C:
				p.tryState()
				p.discover(ctx, discovered)
			case f := <-discovered:
				p.mu.Lock()
				p.found = f
				p.mu.Unlock()
				if r := f.Report(); r != lastReport {
					p.log.Log(r)
					lastReport = r
				}
				if f.Config == nil {
					if misses%RemindEvery == 0 {
						p.log.Logf("no valid seed (%s); the load balancer is not running. Looking again every %v; type `seed` at the console for details", shortReason(f), RetryInterval)
					}
					misses++
					p.setRuntime(fmt.Errorf("%w: %s", errNoSeed, shortReason(f)))
					retry.Reset(RetryInterval)
					return nil
				}
				misses = 0
				p.startRuntime(ctx, f)
			case err := <-p.runtimeDone():
				p.mu.Lock()
				p.rtCancel, p.rtDone = nil, nil
				p.mu.Unlock()
				p.setRuntime(err)
				p.log.Logf("runtime: stopped: %s; looking for a seed again in %v", describe(err), RetryInterval)
				retry.Reset(RetryInterval)
			case req = <-p.sig.Requests():
				stop = true
			case req = <-p.requests:
				stop = true
			case <-feed:
				p.feedWatchdog()
			}
			return nil
		})
		if err != nil {
			time.Sleep(100 * time.Millisecond) // a panic loop must not spin
		}
		if stop {
			return req
		}
	}
}

func (p *pid1) feedWatchdog() {
	if err := p.wd.Feed(); err != nil {
		p.log.Logf("watchdog: feed: %v", err)
	}
}

// shortReason is one line on why discovery found nothing.
func shortReason(f *seed.Found) string {
	if len(f.Rejected) == 0 {
		return "none found on the command line, the state, a TANDEM volume or fw_cfg"
	}
	last := f.Rejected[len(f.Rejected)-1]
	var problems seed.Problems
	if errors.As(last.Err, &problems) {
		return fmt.Sprintf("rejected %s: %d problem(s), first: %v", last.Source, len(problems), problems[0])
	}
	return fmt.Sprintf("rejected %s: %v", last.Source, last.Err)
}

// discover runs seed discovery in a panic-safe goroutine and delivers the
// result on out.
func (p *pid1) discover(ctx context.Context, out chan<- *seed.Found) {
	env := seed.DiscoverEnv{
		Cmdline:  p.cmdline,
		StateDir: p.stateDir,
		TempDir:  SeedTempDir,
		Options:  seed.Options{CheckHAProxy: cli.CheckHAProxy},
	}
	boot.Go("seed discovery", p.log.Log, func() {
		f := &seed.Found{Rejected: []seed.Rejection{{Source: "discovery", Err: errors.New("panicked")}}}
		defer func() { out <- f }()
		ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
		defer cancel()
		if env.Cmdline == "" {
			env.CmdlinePath = "/dev/null" // an empty override means an empty command line
		}
		found, err := seed.Discover(ctx, env)
		if found != nil {
			f = found
		} else if err != nil {
			f = &seed.Found{Rejected: []seed.Rejection{{Source: "discovery", Err: err}}}
		}
	})
}

// runtimeDone is the running runtime's exit, or nil (blocks for ever).
func (p *pid1) runtimeDone() <-chan error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtDone
}

// startRuntime applies the seed's host settings and starts the runtime in
// a panic-safe goroutine, after a bounded wait for carrier.
func (p *pid1) startRuntime(ctx context.Context, f *seed.Found) {
	c := f.Config
	p.configureHost(c)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	p.mu.Lock()
	p.rtCancel, p.rtDone, p.rtErr = cancel, done, nil
	p.mu.Unlock()
	boot.Go("runtime", p.log.Log, func() {
		err := errors.New("the runtime panicked")
		defer func() { done <- err }()
		p.waitCarrier(rctx, c, CarrierTimeout)
		if rctx.Err() != nil {
			err = nil
			return
		}
		boot.Go("ready", p.log.Log, func() { p.reportReady(rctx) })
		err = runtime.Run(rctx, runtime.Options{
			Seed: c, SeedSource: f.Source, StateDir: RuntimeDir, ControlSocket: control.DefaultSocket,
			Console: &consoleWriter{l: p.log}, Ring: p.ring,
		})
		if err == nil && rctx.Err() == nil {
			err = errors.New("the runtime returned on its own")
		}
	})
}

// reportReady logs when HAProxy is first ready, with the time since PID 1
// started: the boot time an operator cares about.
func (p *pid1) reportReady(ctx context.Context) {
	s, err := cli.WaitReady(ctx, control.NewClient(control.DefaultSocket), 20*time.Millisecond)
	if err != nil {
		return
	}
	p.log.Logf("HAProxy ready %v after PID 1 start (role %s)", time.Since(p.start).Round(time.Millisecond), s.Role)
}
