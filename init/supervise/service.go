package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"tandem/init/reap"
)

// ErrNotRunning is returned when signalling a service with no live process.
var ErrNotRunning = errors.New("supervise: process not running")

// DefaultStopTimeout is how long Stop waits at each escalation step.
const DefaultStopTimeout = 10 * time.Second

// Spec describes a supervised process.
type Spec struct {
	// Name identifies the service in errors and is the log source.
	Name string
	// Cmd builds a fresh command for every start (an exec.Cmd runs once).
	Cmd func() *exec.Cmd
	// Backoff is the restart policy; zero fields take defaults.
	Backoff Backoff
	// Log receives the process's stdout and stderr lines when the command
	// leaves Stdout/Stderr nil. Nil discards them.
	Log *Ring
	// StopSignal asks the process to stop gracefully (default SIGTERM).
	StopSignal os.Signal
	// StopTimeout is the wait after StopSignal, and again after SIGTERM,
	// before escalating (default DefaultStopTimeout).
	StopTimeout time.Duration
	// BeforeStart runs before every start; an error skips this start,
	// reports StartFailed and retries after backoff.
	BeforeStart func() error
	// Group starts the process in its own process group; the escalation
	// signals (SIGTERM, SIGKILL) then hit the whole group, and whatever of
	// the group survives the leader's exit is killed, so no orphaned child
	// keeps ports or files open across a restart.
	Group bool
}

// Service supervises one process described by a Spec.
type Service struct {
	spec   Spec
	events *Queue[Event]

	mu       sync.Mutex
	cmd      *exec.Cmd
	restarts int
	started  bool
	stopping bool
	stopCh   chan struct{}
	done     chan struct{}
}

// New validates spec and returns a service that is not yet running.
func New(spec Spec) (*Service, error) {
	if spec.Name == "" {
		return nil, errors.New("supervise: spec without name")
	}
	if spec.Cmd == nil {
		return nil, fmt.Errorf("supervise: %s: spec without Cmd", spec.Name)
	}
	spec.Backoff = spec.Backoff.withDefaults()
	if spec.StopSignal == nil {
		spec.StopSignal = syscall.SIGTERM
	}
	if spec.StopTimeout <= 0 {
		spec.StopTimeout = DefaultStopTimeout
	}
	return &Service{
		spec:   spec,
		events: NewQueue[Event](),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}, nil
}

// Events returns the channel that reports every start, exit and stop, in
// order. Events are queued, never dropped while someone reads.
func (s *Service) Events() <-chan Event { return s.events.C() }

// Start begins supervision: the process starts now and is restarted
// whenever it exits, until Stop. A service starts only once.
func (s *Service) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("supervise: %s: already started", s.spec.Name)
	}
	s.started = true
	go s.run()
	return nil
}

// PID returns the running process's PID, or 0.
func (s *Service) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Restarts returns how many times the process exited on its own (each one
// followed by a restart).
func (s *Service) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// Signal sends sig to the process.
func (s *Service) Signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return ErrNotRunning
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("supervise: %s: signal %v: %w", s.spec.Name, sig, err)
	}
	return nil
}

// SignalGroup sends sig to the process's whole group (Spec.Group), or to
// the process alone otherwise.
func (s *Service) SignalGroup(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return ErrNotRunning
	}
	return s.signalLocked(sig)
}

func (s *Service) signalLocked(sig syscall.Signal) error {
	pid := s.cmd.Process.Pid
	if s.spec.Group {
		pid = -pid
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("supervise: %s: kill %d %v: %w", s.spec.Name, pid, sig, err)
	}
	return nil
}

// Stop ends supervision: it sends StopSignal, then SIGTERM after
// StopTimeout, then SIGKILL after another StopTimeout, and returns once the
// process is gone. If ctx ends first it goes straight to SIGKILL.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	if !s.stopping {
		s.stopping = true
		close(s.stopCh)
	}
	running := s.cmd != nil
	s.mu.Unlock()
	if !running {
		<-s.done
		return nil
	}
	steps := []os.Signal{s.spec.StopSignal}
	if s.spec.StopSignal != syscall.SIGTERM {
		steps = append(steps, syscall.SIGTERM)
	}
	for _, sig := range steps {
		s.mu.Lock()
		if s.cmd != nil {
			if sig == syscall.SIGTERM {
				_ = s.signalLocked(syscall.SIGTERM)
			} else {
				_ = s.cmd.Process.Signal(sig)
			}
		}
		s.mu.Unlock()
		t := time.NewTimer(s.spec.StopTimeout)
		select {
		case <-s.done:
			t.Stop()
			return nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return s.kill(ctx.Err())
		}
	}
	return s.kill(nil)
}

// kill sends SIGKILL and waits for the loop to finish; SIGKILL cannot be
// ignored, so the wait is short.
func (s *Service) kill(cause error) error {
	s.mu.Lock()
	if s.cmd != nil {
		_ = s.signalLocked(syscall.SIGKILL)
	}
	s.mu.Unlock()
	<-s.done
	if cause != nil {
		return fmt.Errorf("supervise: %s: killed after %w", s.spec.Name, cause)
	}
	return nil
}

func (s *Service) emit(kind EventKind, pid int, err error) {
	s.events.Push(Event{Kind: kind, PID: pid, Err: err, At: time.Now()})
}

// run is the supervision loop: start, wait, back off, repeat.
func (s *Service) run() {
	defer close(s.done)
	var wait time.Duration
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.stopCh:
				t.Stop()
				s.emit(Stopped, 0, nil)
				return
			}
		}
		if s.spec.BeforeStart != nil {
			if err := s.spec.BeforeStart(); err != nil {
				s.emit(StartFailed, 0, fmt.Errorf("supervise: %s: before start: %w", s.spec.Name, err))
				wait = s.spec.Backoff.next(wait, 0)
				continue
			}
		}
		cmd, err := s.start()
		if errors.Is(err, errStopping) {
			s.emit(Stopped, 0, nil)
			return
		}
		if err != nil {
			s.emit(StartFailed, 0, err)
			wait = s.spec.Backoff.next(wait, 0)
			continue
		}
		pid := cmd.Process.Pid
		s.emit(Started, pid, nil)
		t0 := time.Now()
		werr := reap.Wait(cmd)
		ran := time.Since(t0)

		s.mu.Lock()
		s.cmd = nil
		stopping := s.stopping
		if !stopping {
			s.restarts++
		}
		s.mu.Unlock()
		if s.spec.Group {
			// Leftovers of the group (e.g. workers of a killed master).
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		if stopping {
			s.emit(Stopped, pid, werr)
			return
		}
		if werr == nil {
			werr = fmt.Errorf("supervise: %s: exited with status 0", s.spec.Name)
		}
		s.emit(Exited, pid, werr)
		wait = s.spec.Backoff.next(wait, ran)
	}
}

var errStopping = errors.New("stopping")

// start builds and starts one process. Output goes through pipes we own
// (not exec's copying goroutines) so that Wait returns the moment the
// process exits, even while a surviving child still holds the pipe.
func (s *Service) start() (*exec.Cmd, error) {
	cmd := s.spec.Cmd()
	if cmd == nil {
		return nil, fmt.Errorf("supervise: %s: Cmd returned nil", s.spec.Name)
	}
	if s.spec.Group {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setpgid = true
	}
	var parentEnds, childEnds []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	if s.spec.Log != nil {
		for _, slot := range []*io.Writer{&cmd.Stdout, &cmd.Stderr} {
			if *slot != nil {
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				closeAll(parentEnds)
				closeAll(childEnds)
				return nil, fmt.Errorf("supervise: %s: pipe: %w", s.spec.Name, err)
			}
			*slot = w
			parentEnds = append(parentEnds, r)
			childEnds = append(childEnds, w)
		}
	}

	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		closeAll(parentEnds)
		closeAll(childEnds)
		return nil, errStopping
	}
	err := reap.Start(cmd)
	if err == nil {
		s.cmd = cmd
	}
	s.mu.Unlock()
	closeAll(childEnds)
	if err != nil {
		closeAll(parentEnds)
		return nil, fmt.Errorf("supervise: %s: start: %w", s.spec.Name, err)
	}
	for _, r := range parentEnds {
		go copyLines(r, s.spec.Log.Writer(s.spec.Name))
	}
	return cmd, nil
}

// copyLines feeds everything read from r into w, line by line, until EOF.
func copyLines(r *os.File, w *LineWriter) {
	defer r.Close()
	_, _ = io.Copy(w, r)
	w.Flush()
}
