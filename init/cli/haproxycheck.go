package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"tandem/init/haproxy"
	"tandem/init/runtime"
	"tandem/init/seed"
)

const haproxyBinary = "/usr/sbin/haproxy"

// checkHAProxy runs `haproxy -c` on the seed's configuration together with
// the peers section tandem generates, when HAProxy is installed.
func checkHAProxy(ctx context.Context, c *seed.Config) error {
	if _, err := os.Stat(haproxyBinary); err != nil {
		return nil // the image checks again at boot, where HAProxy exists
	}
	dir, err := os.MkdirTemp("", "tandem-check-")
	if err != nil {
		return fmt.Errorf("temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	// Check exactly what the runtime will run: the operator's file plus
	// the generated sections (peers, health, logging), as this node.
	cfg, err := runtime.HAProxyConfig(c, dir, haproxyBinary, nil, c.Failover.Profile)
	if err != nil {
		return err
	}
	generated, err := haproxy.Render(cfg)
	if err != nil {
		return err
	}
	gen := filepath.Join(dir, "tandem.cfg")
	if err := os.WriteFile(gen, []byte(generated), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, seed.HAProxyCheckTimeout)
	defer cancel()
	err = haproxy.CheckFileAs(ctx, haproxyBinary, cfg.LocalPeer, gen, cfg.UserConfig)
	var ce *haproxy.CheckError
	if errors.As(err, &ce) {
		if alerts := haproxyAlerts(ce.Messages); alerts != "" {
			return errors.New(alerts)
		}
	}
	return err
}

var (
	alertPrefix = regexp.MustCompile(`^\[ALERT\]\s*(\(\d+\)\s*:\s*)?(config\s*:\s*)?`)
	parsingAt   = regexp.MustCompile(`parsing \[([^\]]+)\]\s*:\s*`)
)

// haproxyAlerts turns haproxy -c's ALERT lines (as CheckFileAs keeps them) into one line of
// "file:line: message" parts, dropping its generic summary lines.
func haproxyAlerts(out string) string {
	var parts []string
	for _, line := range strings.Split(out, "\n") {
		if !alertPrefix.MatchString(line) {
			continue
		}
		msg := alertPrefix.ReplaceAllString(line, "")
		if strings.HasPrefix(msg, "Error(s) found") || strings.HasPrefix(msg, "Fatal errors found") {
			continue
		}
		parts = append(parts, parsingAt.ReplaceAllString(msg, "$1: "))
	}
	return strings.Join(parts, "; ")
}
