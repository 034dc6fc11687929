package membership

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// childEnv marks a test binary re-executed inside a private network namespace.
const childEnv = "TANDEM_MEMBERSHIP_NETNS_CHILD"

// inPrivateNetns re-runs the calling test in a child process with its own,
// anonymous network namespace (CLONE_NEWNET): memberlist dials from any OS
// thread, so the whole process must live in the namespace. The namespace
// has no name, needs no cleanup and dies with the child. It returns true in
// the child (go on with the test) and false in the parent (done).
func inPrivateNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("lo up: %v\n%s", err, out)
		}
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "---") || strings.HasPrefix(line, "=== RUN") || line == "PASS" || line == "FAIL" {
			continue
		}
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("in private netns: %v", err)
	}
	return false
}

func nft(t *testing.T, script string) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nftables")
	}
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v\n%s\n%s", err, out, script)
	}
}
