// Package reap lets PID 1 reap orphans without stealing exit statuses from
// os/exec. Every process the runtime starts goes through Start (or Run,
// Output), which records its PID as owned under a lock; Orphans reaps only
// zombie children that nobody owns. The lock closes the race where a child
// exits before its PID is recorded.
package reap

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

var (
	mu    sync.Mutex
	owned = map[int]bool{}
)

// Start starts cmd and records it as owned until Wait returns.
func Start(cmd *exec.Cmd) error {
	mu.Lock()
	defer mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	owned[cmd.Process.Pid] = true
	return nil
}

// Wait waits for a command started with Start and releases its PID.
func Wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	mu.Lock()
	delete(owned, cmd.Process.Pid)
	mu.Unlock()
	return err
}

// Run starts cmd and waits for it.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd); err != nil {
		return err
	}
	return Wait(cmd)
}

// Output runs cmd and returns its standard output, like exec.Cmd.Output.
func Output(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := Run(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ee.Stderr = []byte(stderr.String())
	}
	return []byte(stdout.String()), err
}

// CombinedOutput runs cmd and returns its standard output and error together.
func CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := Run(cmd)
	return []byte(out.String()), err
}

// Orphans reaps every zombie child of this process that no Start owns and
// returns how many it reaped. PID 1 calls it on SIGCHLD and on a slow timer.
func Orphans() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	procs, err := Procs()
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	n := 0
	for _, p := range procs {
		if owned[p.PID] || p.PPID != self || p.State != 'Z' {
			continue
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(p.PID, &ws, unix.WNOHANG, nil); err == nil && got == p.PID {
			n++
		}
	}
	return n, nil
}
