package reap

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is a process as /proc/PID/stat describes it: the one reading of
// that file that reaping, shutdown, HAProxy's worker list and PID 1's
// checks all share.
type Proc struct {
	PID   int
	PPID  int
	Comm  string // the command name, as /proc/PID/comm has it
	State byte   // R, S, D, Z, X, ...
	Flags uint64 // the kernel's PF_* flags
}

// ReadProc reads /proc/PID/stat; false when the process is gone.
func ReadProc(pid int) (Proc, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, false
	}
	return parseStat(pid, string(b))
}

// Procs lists every process in /proc; one that exits while listed is left
// out.
func Procs() ([]Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("reap: list /proc: %w", err)
	}
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := ReadProc(pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Children lists the live (not zombie) children of pid.
func Children(pid int) []int {
	procs, _ := Procs()
	var out []int
	for _, p := range procs {
		if p.PPID == pid && p.State != 'Z' {
			out = append(out, p.PID)
		}
	}
	return out
}

// parseStat parses a /proc/PID/stat line. The command name is in
// parentheses and may itself contain spaces and parentheses; the fields
// after it follow the last ')'.
func parseStat(pid int, s string) (Proc, bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return Proc{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 7 || len(f[0]) != 1 {
		return Proc{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Proc{}, false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	if err != nil {
		return Proc{}, false
	}
	return Proc{PID: pid, PPID: ppid, Comm: s[open+1 : end], State: f[0][0], Flags: flags}, true
}
