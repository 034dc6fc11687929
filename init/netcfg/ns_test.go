package netcfg

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Tests that need a network namespace run their body in a child copy of the
// test binary started with `ip netns exec`, so every thread of the code under
// test (netlink sockets, the DHCP client's goroutines) lives in the
// namespace, as in production where tandem runs inside the node's namespace.
const childEnv = "NETCFG_TEST_CHILD"

// inChild reports whether this process is the namespaced child for t.
func inChild(t *testing.T) bool { return os.Getenv(childEnv) == t.Name() }

func requireRoot(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
}

// newNS creates a network namespace named with this package's prefix and
// removes it when the test ends.
func newNS(t *testing.T, tag string) string {
	t.Helper()
	name := fmt.Sprintf("tn%s%d-%04x", tag, os.Getpid(), rand.IntN(0x10000))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// runChild runs the current top-level test inside ns and fails if it fails.
func runChild(t *testing.T, ns string, env ...string) {
	t.Helper()
	args := []string{"netns", "exec", ns, os.Args[0], "-test.run=^" + t.Name() + "$", "-test.v", "-test.count=1", "-test.timeout=2m"}
	cmd := exec.Command("ip", args...)
	cmd.Env = append(append(os.Environ(), childEnv+"="+t.Name()), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("child in %s:\n%s", ns, out)
	if err != nil {
		t.Fatalf("child test in %s: %v", ns, err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("child test in %s did not pass", ns)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
