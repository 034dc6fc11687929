package haproxy

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"tandem/init/reap"
)

// CheckFile runs "binary -c -f file..." and returns nil if HAProxy accepts
// the configuration, or an error carrying HAProxy's messages. It needs no
// running service (the seed validator uses it). Without a local peer name
// HAProxy drops a "peers" section that lacks this host's name (with a
// warning), so use CheckFileAs to check a peers section as it will run.
func CheckFile(ctx context.Context, binary string, files ...string) error {
	return CheckFileAs(ctx, binary, "", files...)
}

// CheckFileAs is CheckFile with "-L localPeer" when localPeer is set.
func CheckFileAs(ctx context.Context, binary, localPeer string, files ...string) error {
	if binary == "" {
		binary = DefaultBinary
	}
	if len(files) == 0 {
		return fmt.Errorf("haproxy: check: no configuration files")
	}
	args := []string{"-c"}
	if localPeer != "" {
		args = append(args, "-L", localPeer)
	}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	out, err := reap.CombinedOutput(cmd)
	if err != nil {
		msg := cleanMessages(out)
		if msg == "" {
			msg = err.Error()
		}
		return &CheckError{Files: files, Messages: msg}
	}
	return nil
}

// CheckError is HAProxy refusing a configuration (or failing to run).
// Messages holds its ALERT/WARNING lines, one per line, without pids.
type CheckError struct {
	Files    []string
	Messages string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("haproxy: check %s: %s", strings.Join(e.Files, " "), e.Messages)
}

var levelPID = regexp.MustCompile(`^\[(\w+)\]\s+\(\d+\) : `)

// cleanMessages keeps HAProxy's ALERT/WARNING lines, one per line, without
// the NOTICE chatter about the version and executable path.
func cleanMessages(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "[NOTICE]") {
			continue
		}
		// "[ALERT]    (123) : config : ..." -> "[ALERT] config : ..."
		if m := levelPID.FindStringSubmatch(l); m != nil {
			l = "[" + m[1] + "] " + l[len(m[0]):]
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// Version returns HAProxy's version string (e.g. "2.6.12-1+deb12u4") from
// "binary -v".
func Version(ctx context.Context, binary string) (string, error) {
	if binary == "" {
		binary = DefaultBinary
	}
	out, err := reap.Output(exec.CommandContext(ctx, binary, "-v"))
	if err != nil {
		return "", fmt.Errorf("haproxy: %s -v: %w", binary, err)
	}
	// "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/"
	first, _, _ := strings.Cut(string(out), "\n")
	f := strings.Fields(first)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "version" {
			return f[i+1], nil
		}
	}
	return "", fmt.Errorf("haproxy: %s -v: unexpected output %q", binary, first)
}
