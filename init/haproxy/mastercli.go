package haproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// masterCommand sends one command to the master CLI socket and returns the
// reply. The master answers and closes once our side has shut writing.
func masterCommand(ctx context.Context, socket, command string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("haproxy: master cli %s: %w", socket, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	if _, err := io.WriteString(conn, command+"\n"); err != nil {
		return "", fmt.Errorf("haproxy: master cli %q: %w", command, err)
	}
	conn.(*net.UnixConn).CloseWrite()
	out, err := io.ReadAll(conn)
	if err != nil {
		return string(out), fmt.Errorf("haproxy: master cli %q: %w", command, err)
	}
	return string(out), nil
}

// procTable is the parsed "show proc" of the master CLI.
type procTable struct {
	MasterPID     int
	Reloads       int // reloads of the master so far
	FailedReloads int
	Workers       []int // current workers
	OldWorkers    []int // workers of previous generations, draining
}

// parseShowProc parses the 2.6 "show proc" output:
//
//	#<PID>   <type>   <reloads>   <uptime>   <version>
//	9503     master   1 [failed: 0]  0d00h00m01s  2.6.12
//	# workers
//	9696     worker   0   ...
//	# old workers
//	9510     worker   1   ...
//	# programs
func parseShowProc(s string) (procTable, error) {
	var t procTable
	section := "master"
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == "# workers":
			section = "workers"
			continue
		case line == "# old workers":
			section = "old"
			continue
		case strings.HasPrefix(line, "#"):
			if !strings.HasPrefix(line, "#<") {
				section = "other"
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			return t, fmt.Errorf("haproxy: show proc: bad line %q", line)
		}
		switch {
		case f[1] == "master":
			t.MasterPID = pid
			t.Reloads, _ = strconv.Atoi(f[2])
			if i := strings.Index(line, "[failed: "); i >= 0 {
				n := strings.TrimSuffix(strings.Fields(line[i+len("[failed: "):])[0], "]")
				t.FailedReloads, _ = strconv.Atoi(n)
			}
		case f[1] == "worker" && section == "workers":
			t.Workers = append(t.Workers, pid)
		case f[1] == "worker" && section == "old":
			t.OldWorkers = append(t.OldWorkers, pid)
		}
	}
	if t.MasterPID == 0 {
		return t, fmt.Errorf("haproxy: show proc: no master line in %q", s)
	}
	return t, nil
}

func showProc(ctx context.Context, socket string) (procTable, error) {
	out, err := masterCommand(ctx, socket, "show proc")
	if err != nil {
		return procTable{}, err
	}
	return parseShowProc(out)
}
