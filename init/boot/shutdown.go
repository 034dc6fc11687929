package boot

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Step is one stage of shutdown. Run should honour ctx; if it does not, the
// sequencer moves on at the deadline anyway and leaves it running.
type Step struct {
	Name    string
	Timeout time.Duration // 0 means DefaultStepTimeout
	Run     func(ctx context.Context) error
}

// DefaultStepTimeout bounds a step without its own timeout.
const DefaultStepTimeout = 10 * time.Second

// StepResult is what happened to one step.
type StepResult struct {
	Name     string
	Err      error
	Took     time.Duration
	TimedOut bool
}

// Shutdown runs its steps in order, each under its own deadline. It never
// blocks for longer than the sum of the timeouts, and a step's failure or
// panic does not stop the ones after it.
type Shutdown struct {
	Steps []Step
	Log   func(string)
}

// Run runs every step and returns their results. Cancelling ctx does not
// skip steps: shutdown must reach its end.
func (s *Shutdown) Run(ctx context.Context) []StepResult {
	log := s.Log
	if log == nil {
		log = func(string) {}
	}
	base := context.WithoutCancel(ctx)
	results := make([]StepResult, 0, len(s.Steps))
	for _, st := range s.Steps {
		timeout := st.Timeout
		if timeout <= 0 {
			timeout = DefaultStepTimeout
		}
		log(fmt.Sprintf("shutdown: %s (timeout %v)", st.Name, timeout))
		r := runStep(base, st, timeout)
		switch {
		case r.TimedOut:
			log(fmt.Sprintf("shutdown: %s timed out after %v, going on", st.Name, r.Took.Round(time.Millisecond)))
		case r.Err != nil:
			log(fmt.Sprintf("shutdown: %s failed after %v: %v", st.Name, r.Took.Round(time.Millisecond), r.Err))
		default:
			log(fmt.Sprintf("shutdown: %s done in %v", st.Name, r.Took.Round(time.Millisecond)))
		}
		results = append(results, r)
	}
	return results
}

func runStep(base context.Context, st Step, timeout time.Duration) StepResult {
	ctx, cancel := context.WithTimeout(base, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		var err error
		if runRecover(st.Name, func(msg string) { err = fmt.Errorf("%s", msg) }, func() {
			if st.Run != nil {
				err = st.Run(ctx)
			}
		}) {
			err = fmt.Errorf("panicked: %w", err)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return StepResult{Name: st.Name, Err: err, Took: time.Since(start)}
	case <-ctx.Done():
		return StepResult{Name: st.Name, Err: ctx.Err(), Took: time.Since(start), TimedOut: true}
	}
}

// Final configures the last steps every shutdown ends with.
type Final struct {
	Action Action
	Mounts []MountPoint // unmounted in reverse; usually DefaultMounts
	Root   string       // root the mounts live under; "" means "/"
	Grace  time.Duration
	// Reboot performs the final reboot(2); nil means unix.Reboot. Tests
	// inject one that records the command and returns.
	Reboot func(cmd int) error
	Log    func(string)
}

// FinalSteps returns: kill every other process (SIGTERM, Grace, SIGKILL),
// sync, unmount the table in reverse, then reboot(2) with the action.
func FinalSteps(f Final) []Step {
	grace := f.Grace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	root := f.Root
	if root == "" {
		root = "/"
	}
	reboot := f.Reboot
	if reboot == nil {
		reboot = unix.Reboot
	}
	log := f.Log
	if log == nil {
		log = func(string) {}
	}
	return []Step{
		{Name: "kill processes", Timeout: grace + 5*time.Second, Run: func(ctx context.Context) error {
			return KillAll(ctx, grace, log)
		}},
		{Name: "sync", Timeout: 30 * time.Second, Run: func(context.Context) error {
			unix.Sync()
			return nil
		}},
		{Name: "unmount", Timeout: 10 * time.Second, Run: func(context.Context) error {
			var errs []error
			for _, r := range UnmountAll(f.Mounts, root) {
				log("unmount " + r.String())
				if r.Err != nil {
					errs = append(errs, r.Err)
				}
			}
			if len(errs) > 0 {
				return fmt.Errorf("%d unmounts failed, first: %w", len(errs), errs[0])
			}
			return nil
		}},
		{Name: f.Action.String(), Timeout: 10 * time.Second, Run: func(context.Context) error {
			unix.Sync() // the unmounts may have flushed nothing if detached
			return reboot(f.Action.RebootCmd())
		}},
	}
}
