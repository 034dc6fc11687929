package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sysctl is one kernel parameter, in sysctl(8) spelling: dotted
// ("net.ipv4.ip_forward") or with slashes when a component itself has dots
// ("net/ipv4/conf/eth0.100/arp_ignore").
type Sysctl struct {
	Key   string
	Value string
}

// DefaultSysctls are what every appliance wants regardless of its seed:
// reboot ten seconds after a kernel panic or oops instead of hanging (the
// peer takes over, and a rebooted node rejoins as standby), and allow
// HAProxy on the standby to bind the VIP before it holds it.
var DefaultSysctls = []Sysctl{
	{"kernel.panic", "10"},
	{"kernel.panic_on_oops", "1"},
	{"net.ipv4.ip_nonlocal_bind", "1"},
	{"net.ipv6.ip_nonlocal_bind", "1"},
}

// SysctlPath maps a key to its file under procSys (normally /proc/sys).
func SysctlPath(procSys, key string) (string, error) {
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	rel = strings.Trim(rel, "/")
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return "", fmt.Errorf("sysctl: bad key %q", key)
		}
	}
	return filepath.Join(procSys, rel), nil
}

// SetSysctls writes every entry under procSys, keeps going after a failure
// and returns all errors joined.
func SetSysctls(procSys string, list []Sysctl) error {
	var errs []error
	for _, s := range list {
		p, err := SysctlPath(procSys, s.Key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// O_WRONLY without O_CREATE: a missing key is an error, not a new file.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err == nil {
			_, err = f.WriteString(s.Value)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sysctl %s=%s: %w", s.Key, s.Value, err))
		}
	}
	return errors.Join(errs...)
}

// GetSysctl reads one value, trimmed.
func GetSysctl(procSys, key string) (string, error) {
	p, err := SysctlPath(procSys, key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}
