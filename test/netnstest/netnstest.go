// Package netnstest runs a test inside a private network namespace of its
// own: the test binary re-executes itself, for that one test, in a child
// process cloned with CLONE_NEWNET. The whole process lives there, which
// code that uses sockets from any OS thread (memberlist, the runtime)
// needs; a setns on one thread would not do. The namespace has no name,
// needs no cleanup, and dies with the child.
package netnstest

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// childEnv marks the re-executed test binary.
const childEnv = "TANDEM_NETNS_TEST_CHILD"

// InPrivateNetns returns true in the child, where the test goes on with
// loopback up, and false in the parent once the child is done; the child's
// output is logged, and its failure fails the test. It skips the test when
// not root or when one of tools (looked up in PATH, or a path) is missing.
func InPrivateNetns(t *testing.T, tools ...string) bool {
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
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
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
