// Package reap lets PID 1 reap orphans without stealing exit statuses from
// os/exec. Every process the runtime starts goes through Start (or Run,
// Output), which records its PID as owned under a lock; Orphans reaps only
// zombie children that nobody owns. The lock closes the race where a child
// exits before its PID is recorded.
package reap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
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
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("reap: list /proc: %w", err)
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || owned[pid] {
			continue
		}
		ppid, zombie, ok := procState(pid)
		if !ok || ppid != self || !zombie {
			continue
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err == nil && got == pid {
			n++
		}
	}
	return n, nil
}

// procState reads the parent PID and zombie state from /proc/PID/stat.
func procState(pid int) (ppid int, zombie bool, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, false
	}
	// The command name is in parentheses and may contain spaces; the fields
	// we need follow the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false, false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, false, false
	}
	return ppid, f[0] == "Z", true
}
