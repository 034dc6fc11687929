package pid1

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bareNetns makes an empty network namespace named tp<random> (no seed
// means no network is configured, so no testbed is needed).
func bareNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("tp%06x", rand.IntN(1<<24))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// buildTandem builds the real binary into a temporary folder.
func buildTandem(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir, "./cmd/tandem")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tandem: %v\n%s", err, out)
	}
	return filepath.Join(dir, "tandem")
}

// TestPID1WithoutSeed: with no seed, or a broken one, PID 1 stays up, says
// why on its console, answers `seed` at the prompt with the errors, and
// still shuts down cleanly on SIGTERM.
func TestPID1WithoutSeed(t *testing.T) {
	needRoot(t)
	bin := buildTandem(t)
	cases := []struct {
		name    string
		seed    string // written as seed.toml when set
		cmdline string
		reason  *regexp.Regexp
		report  *regexp.Regexp // what `seed` at the prompt answers (unstamped lines, then the prompt)
	}{
		{
			name:    "missing",
			cmdline: "quiet",
			reason:  regexp.MustCompile(`no valid seed \(none found[^)]*\); the load balancer is not running`),
			report:  regexp.MustCompile(`\nseed: none found; the node cannot run the load balancer\ntandem> `),
		},
		{
			name: "broken",
			seed: strings.Replace(string(repoFile(t, "configs/haproxy1.toml")),
				`address = "10.1.1.1/24"`, `address = "10.1.1.300/24"`, 1),
			cmdline: "tandem.seed=SEED",
			reason:  regexp.MustCompile(`no valid seed \(rejected kernel command line[^\n]*interlink\.address`),
			report:  regexp.MustCompile(`\nseed: none found[^\n]*\nseed: rejected kernel command line[^\n]*\n  \S*seed\.toml:\d+:\d+: interlink\.address: (?s:.*)\ntandem> `),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := workDir(t)
			cmdline := tc.cmdline
			if tc.seed != "" {
				path := filepath.Join(dir, "seed.toml")
				if err := os.WriteFile(path, []byte(tc.seed), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), repoFile(t, "configs/haproxy.cfg"), 0o644); err != nil {
					t.Fatal(err)
				}
				cmdline = strings.ReplaceAll(cmdline, "SEED", path)
			}
			in := startPID1(t, bareNetns(t), dir, bin, cmdline)
			pid := in.waitTandem(5 * time.Second)
			in.waitLog(tc.reason, 10*time.Second)
			time.Sleep(3 * time.Second)
			if in.exited() {
				t.Fatalf("PID 1 exited without a seed: %v", in.err)
			}
			if _, err := in.stdin.Write([]byte("seed\n")); err != nil {
				t.Fatal(err)
			}
			in.waitLog(tc.report, 5*time.Second)
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := in.exitStatus(30 * time.Second); code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
		})
	}
}
