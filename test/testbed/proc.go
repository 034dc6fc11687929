package testbed

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Proc is a background process the bed started in a node's namespace. Its
// stdout and stderr go to a log file in the bed's directory.
type Proc struct {
	Node    string
	Args    []string
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid once done is closed
}

// logSeq numbers log files so two processes never share one.
var logSeq atomic.Int64

// Start runs a program in a node's namespace in the background. The bed
// kills it on Close; KillHard kills it with its node.
func (b *Bed) Start(node string, args ...string) (*Proc, error) {
	if err := b.checkNode(node); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("testbed: Start: no command")
	}
	n := logSeq.Add(1)
	logPath := filepath.Join(b.dir, fmt.Sprintf("%s-%02d-%s.log", node, n, filepath.Base(args[0])))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("testbed: log file: %w", err)
	}
	defer logf.Close() // the child holds its own copy

	full := append([]string{"netns", "exec", b.Netns(node)}, args...)
	cmd := exec.Command("ip", full...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	// `ip netns exec` execs the program, so the pid is the program's.
	// Pdeathsig stops it if the test process dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testbed: %s: start %s: %w", node, strings.Join(args, " "), err)
	}
	p := &Proc{Node: node, Args: args, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	b.mu.Lock()
	b.procs = append(b.procs, p)
	b.mu.Unlock()
	return p, nil
}

// Pid is the process id (in the shared pid namespace).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Kill sends a signal; a process that already exited is not an error.
func (p *Proc) Kill(sig syscall.Signal) error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("testbed: signal %v to %s: %w", sig, p.Args[0], err)
	}
	return nil
}

// Wait waits for the process to exit and returns its exit error.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process exits.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Log returns what the process wrote so far.
func (p *Proc) Log() string {
	data, _ := os.ReadFile(p.LogPath)
	return string(data)
}

func (p *Proc) kill9() { _ = p.Kill(syscall.SIGKILL) }

func (p *Proc) waitTimeout(d time.Duration) {
	select {
	case <-p.done:
	case <-time.After(d):
	}
}

// netnsPids lists every process whose network namespace is ns.
func netnsPids(ns string) []int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killNetnsPids SIGKILLs everything in a namespace, including grandchildren
// (HAProxy workers, keepalived children) the bed never saw start.
func killNetnsPids(ns string) []int {
	pids := netnsPids(ns)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return pids
}
