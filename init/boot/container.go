package boot

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// InContainer reports whether this process runs inside a container, and
// why it thinks so, so PID 1 can skip what a container cannot do (modules,
// watchdog, reboot). It needs /proc mounted for the namespace hints.
func InContainer() (bool, string) {
	return detectContainer("/", os.Getenv)
}

func detectContainer(root string, getenv func(string) string) (bool, string) {
	at := func(p string) string { return filepath.Join(root, p) }
	// Container managers announce themselves (systemd's container interface).
	if v := getenv("container"); v != "" {
		return true, "container=" + v + " in the environment"
	}
	if b, err := os.ReadFile(at("/run/systemd/container")); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return true, "/run/systemd/container says " + strings.TrimSpace(string(b))
	}
	if fileExists(at("/run/.containerenv")) {
		return true, "/run/.containerenv (podman)"
	}
	if fileExists(at("/.dockerenv")) {
		return true, "/.dockerenv (docker)"
	}
	// cgroup v1 paths name the runtime.
	if f, err := os.Open(at("/proc/self/cgroup")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			for _, hint := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
				if strings.Contains(sc.Text(), hint) {
					return true, "cgroup path mentions " + hint
				}
			}
		}
	}
	// A user namespace maps only part of the uid range.
	if b, err := os.ReadFile(at("/proc/self/uid_map")); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 && !(f[0] == "0" && f[1] == "0" && f[2] == "4294967295") {
			return true, "user namespace (uid_map " + strings.Join(f, " ") + ")"
		}
	}
	// Kernel threads are visible only in the initial PID namespace: kthreadd
	// is always PID 2 there.
	if fileExists(at("/proc/self/stat")) {
		b, err := os.ReadFile(at("/proc/2/stat"))
		if err != nil || !strings.Contains(string(b), "(kthreadd)") {
			return true, "PID namespace (no kthreadd at PID 2)"
		}
	}
	return false, ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
