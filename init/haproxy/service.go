package haproxy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"tandem/init/reap"
	"tandem/init/supervise"
)

// Service runs HAProxy in master-worker mode under a supervise.Service.
type Service struct {
	cfg    Config
	prober *prober
	events *supervise.Queue[Event]
	sup    *supervise.Service

	reloadMu sync.Mutex // one reload at a time

	mu         sync.Mutex
	state      string
	version    string
	readySince time.Time
	lastError  string
	killReason string             // why we killed the master, for Down
	epochStop  context.CancelFunc // ends the readiness/probe goroutines of one run
	monitoring bool
	monitorEnd chan struct{}
}

// New validates cfg (filling defaults) and returns a stopped service.
func New(cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:        cfg,
		prober:     newProber(cfg),
		events:     supervise.NewQueue[Event](),
		state:      StateStopped,
		monitorEnd: make(chan struct{}),
	}
	sup, err := supervise.New(supervise.Spec{
		Name:        "haproxy",
		Cmd:         s.command,
		Backoff:     cfg.Backoff,
		Log:         cfg.Ring,
		StopSignal:  syscall.SIGUSR1, // soft-stop: finish open connections
		StopTimeout: cfg.StopTimeout,
		BeforeStart: s.beforeStart,
		Group:       true, // a hang kill must take the workers too
	})
	if err != nil {
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	s.sup = sup
	return s, nil
}

// Events returns the channel of service events, in order.
func (s *Service) Events() <-chan Event { return s.events.C() }

// Start writes the generated config and starts supervising HAProxy. It
// returns at once; Up (or ConfigError/Down) follows on Events.
func (s *Service) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.RunDir, 0o755); err != nil {
		return fmt.Errorf("haproxy: create run dir: %w", err)
	}
	if v, err := Version(ctx, s.cfg.Binary); err == nil {
		s.mu.Lock()
		s.version = v
		s.mu.Unlock()
	} else {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sup.Start(); err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	s.state = StateStarting
	s.monitoring = true
	go s.monitor()
	return nil
}

// command builds the master-worker command line. -W without -D keeps the
// master in the foreground as our child; the master CLI (-S) drives reloads.
func (s *Service) command() *exec.Cmd {
	args := []string{"-W", "-S", s.cfg.masterSocket() + ",mode,600"}
	if s.cfg.LocalPeer != "" {
		args = append(args, "-L", s.cfg.LocalPeer)
	}
	// tandem.cfg first: its global log line must exist before the
	// operator's "log global" copies it, and its named defaults stay
	// away from the operator's proxies.
	args = append(args, "-f", s.cfg.generatedPath(), "-f", s.cfg.UserConfig)
	cmd := exec.Command(s.cfg.Binary, args...)
	cmd.Dir = s.cfg.RunDir
	return cmd
}

// writeGenerated renders tandem.cfg and replaces it atomically.
func (s *Service) writeGenerated() error {
	text, err := Render(s.cfg)
	if err != nil {
		return err
	}
	tmp := s.cfg.generatedPath() + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return fmt.Errorf("haproxy: write generated config: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.generatedPath()); err != nil {
		return fmt.Errorf("haproxy: install generated config: %w", err)
	}
	return nil
}

// Check renders the generated config and checks it together with the
// operator's, as HAProxy will load them.
func (s *Service) Check(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.RunDir, 0o755); err != nil {
		return fmt.Errorf("haproxy: create run dir: %w", err)
	}
	if err := s.writeGenerated(); err != nil {
		return err
	}
	return CheckFileAs(ctx, s.cfg.Binary, s.cfg.LocalPeer, s.cfg.generatedPath(), s.cfg.UserConfig)
}

// beforeStart gates every (re)start on a passing config check.
func (s *Service) beforeStart() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		s.mu.Lock()
		first := s.state != StateConfigError || s.lastError != err.Error()
		s.state = StateConfigError
		s.lastError = err.Error()
		s.mu.Unlock()
		if first {
			s.emit(ConfigError, err.Error(), 0)
		}
		return err
	}
	return nil
}

func (s *Service) emit(kind EventKind, reason string, took time.Duration) {
	s.events.Push(Event{Kind: kind, Reason: reason, At: time.Now(), Took: took})
}

// monitor turns supervisor events into HAProxy states and events.
func (s *Service) monitor() {
	defer close(s.monitorEnd)
	for ev := range s.sup.Events() {
		switch ev.Kind {
		case supervise.Started:
			ctx, cancel := context.WithCancel(context.Background())
			s.mu.Lock()
			s.endEpochLocked()
			s.epochStop = cancel
			s.state = StateStarting
			s.killReason = ""
			s.mu.Unlock()
			go s.watch(ctx, ev.At, ev.PID)
		case supervise.Exited:
			s.mu.Lock()
			s.endEpochLocked()
			reason := fmt.Sprintf("master %d exited: %v", ev.PID, ev.Err)
			if s.killReason != "" {
				reason = s.killReason + "; " + reason
			}
			s.state = StateDown
			s.readySince = time.Time{}
			s.lastError = reason
			s.mu.Unlock()
			s.emit(Down, reason, 0)
		case supervise.StartFailed:
			s.mu.Lock()
			configErr := s.state == StateConfigError
			wasDown := s.state == StateDown
			if !configErr {
				s.state = StateDown
				s.lastError = ev.Err.Error()
			}
			s.mu.Unlock()
			if !configErr && !wasDown {
				s.emit(Down, ev.Err.Error(), 0)
			}
		case supervise.Stopped:
			s.mu.Lock()
			s.endEpochLocked()
			s.state = StateStopped
			s.readySince = time.Time{}
			s.mu.Unlock()
			return
		}
	}
}

func (s *Service) endEpochLocked() {
	if s.epochStop != nil {
		s.epochStop()
		s.epochStop = nil
	}
}

// watch waits for the health endpoint to answer after a start, then probes
// it until the run ends, killing HAProxy when it stops answering.
func (s *Service) watch(ctx context.Context, started time.Time, pid int) {
	if err := s.waitReady(ctx, pid); err != nil {
		if ctx.Err() == nil {
			s.kill(pid, fmt.Sprintf("not ready within %v: %v", s.cfg.StartTimeout, err))
		}
		return
	}
	took := time.Since(started)
	s.mu.Lock()
	if ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.state = StateReady
	s.readySince = time.Now()
	s.mu.Unlock()
	s.emit(Up, fmt.Sprintf("master %d ready", pid), took)

	t := time.NewTicker(s.cfg.Probe.Interval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.prober.probe(ctx, s.cfg.Probe.Timeout)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			continue
		}
		failures++
		if failures < s.cfg.Probe.Failures {
			continue
		}
		reason := fmt.Sprintf("%d health probes failed: %v", failures, err)
		s.mu.Lock()
		s.state = StateHung
		s.readySince = time.Time{}
		s.lastError = reason
		s.mu.Unlock()
		s.emit(Hung, reason, 0)
		s.kill(pid, "hung: "+reason)
		return
	}
}

// waitReady polls every 10 ms until the health endpoint answers 200 and
// the master CLI lists a worker. The second condition matters: after
// forking the first worker the 2.6 master re-executes itself ("wait
// mode"), and a signal sent in that window (a soft-stop, a reload) is
// lost. Once its CLI answers, the master runs its loop and handles signals.
func (s *Service) waitReady(ctx context.Context, pid int) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		if last = s.prober.probe(ctx, time.Second); last == nil {
			pt, err := showProc(ctx, s.cfg.masterSocket())
			switch {
			case err != nil:
				last = err
			case pt.MasterPID != pid || len(pt.Workers) == 0:
				last = fmt.Errorf("haproxy: master cli: master %d with workers %v, want master %d with a worker", pt.MasterPID, pt.Workers, pid)
			default:
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return last
		case <-t.C:
		}
	}
}

// kill SIGKILLs the master and its workers; the supervisor restarts them.
func (s *Service) kill(pid int, reason string) {
	if s.sup.PID() != pid {
		return // that run is already over
	}
	s.mu.Lock()
	s.killReason = reason
	s.mu.Unlock()
	_ = s.sup.SignalGroup(syscall.SIGKILL)
}

// Reload checks the configuration, then reloads HAProxy through the master
// CLI: the master re-executes itself and the new worker takes the listening
// sockets over from the old one, so no connection is refused. Reload
// returns once the new worker serves the health endpoint.
func (s *Service) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.sup.PID() == 0 {
		return errors.New("haproxy: reload: not running")
	}
	t0 := time.Now()
	if err := s.Check(ctx); err != nil {
		s.mu.Lock()
		s.lastError = err.Error()
		s.mu.Unlock()
		s.emit(ConfigError, "reload refused, old configuration keeps running: "+err.Error(), 0)
		return fmt.Errorf("haproxy: reload refused: %w", err)
	}
	before, err := showProc(ctx, s.cfg.masterSocket())
	if err != nil {
		return fmt.Errorf("haproxy: reload: %w", err)
	}
	if _, err := masterCommand(ctx, s.cfg.masterSocket(), "reload"); err != nil {
		// The CLI is gone but the master may live: fall back to the signal.
		if serr := s.sup.Signal(syscall.SIGUSR2); serr != nil {
			return fmt.Errorf("haproxy: reload: %w (and %w)", err, serr)
		}
	}
	if err := s.waitReloaded(ctx, before); err != nil {
		s.mu.Lock()
		s.lastError = err.Error()
		s.mu.Unlock()
		return err
	}
	took := time.Since(t0)
	s.emit(Reloaded, fmt.Sprintf("reload %d", before.Reloads+1), took)
	return nil
}

// waitReloaded polls "show proc" until the master counts one more reload
// and runs a new worker, then waits for the health endpoint.
func (s *Service) waitReloaded(ctx context.Context, before procTable) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	old := map[int]bool{}
	for _, p := range before.Workers {
		old[p] = true
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("haproxy: reload not confirmed: %w (last: %v)", ctx.Err(), last)
		case <-t.C:
		}
		pt, err := showProc(ctx, s.cfg.masterSocket())
		if err != nil {
			last = err // the master is re-executing; its CLI is back soon
			continue
		}
		if pt.FailedReloads > before.FailedReloads {
			return fmt.Errorf("haproxy: reload failed in the master (see its log); old workers keep serving")
		}
		if pt.Reloads <= before.Reloads {
			continue
		}
		fresh := false
		for _, p := range pt.Workers {
			fresh = fresh || !old[p]
		}
		if !fresh {
			continue
		}
		if last = s.prober.probe(ctx, time.Second); last == nil {
			return nil
		}
	}
}

// Stop soft-stops HAProxy (SIGUSR1: finish open connections), then
// escalates to SIGTERM and SIGKILL after StopTimeout each, or at once when
// ctx ends.
func (s *Service) Stop(ctx context.Context) error {
	err := s.sup.Stop(ctx)
	s.mu.Lock()
	monitoring := s.monitoring
	s.mu.Unlock()
	if monitoring {
		select {
		case <-s.monitorEnd:
		case <-ctx.Done():
		}
	}
	if err != nil {
		return fmt.Errorf("haproxy: stop: %w", err)
	}
	return nil
}

// Status returns a snapshot for the Status model.
func (s *Service) Status() Status {
	pid := s.sup.PID()
	s.mu.Lock()
	st := Status{
		State:      s.state,
		PID:        pid,
		Version:    s.version,
		ReadySince: s.readySince,
		LastError:  s.lastError,
	}
	s.mu.Unlock()
	st.Restarts = s.sup.Restarts()
	if pid != 0 {
		st.WorkerPIDs = reap.Children(pid)
	}
	return st
}
