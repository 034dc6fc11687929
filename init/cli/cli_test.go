package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(append([]string{"tandem"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func copyConfigs(t *testing.T, edit func(name, s string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"haproxy1.toml", "haproxy2.toml", "haproxy.cfg"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if edit != nil {
			s = edit(name, s)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSeedCheckExamples(t *testing.T) {
	dir := copyConfigs(t, nil)
	code, out, errs := runMain("seed", "check", filepath.Join(dir, "haproxy1.toml"), filepath.Join(dir, "haproxy2.toml"))
	if code != 0 || !strings.Contains(out, "pair ok") {
		t.Fatalf("seed check = %d\n%s%s", code, out, errs)
	}
}

// TestSeedCheckHAProxyRejects edits one line of haproxy.cfg so that
// haproxy -c rejects it: the seed check fails, naming the seed's line and
// key and HAProxy's own file and line.
func TestSeedCheckHAProxyRejects(t *testing.T) {
	if _, err := exec.LookPath(haproxyBinary); err != nil {
		t.Skip("haproxy not installed")
	}
	for _, tc := range []struct{ old, repl, want string }{
		{"balance roundrobin", "balance roundrobbin", "haproxy.cfg:"},
		{"http_req_rate(10s) peers tandem", "http_req_rate(10s) peers tandom", "unable to find sync peers"},
	} {
		dir := copyConfigs(t, func(name, s string) string {
			if name == "haproxy.cfg" {
				return strings.Replace(s, tc.old, tc.repl, 1)
			}
			return s
		})
		seedFile := filepath.Join(dir, "haproxy1.toml")
		code, _, errs := runMain("seed", "check", seedFile)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", tc.repl, code)
		}
		if !strings.Contains(errs, seedFile+":34:1: haproxy.config_file: HAProxy rejects") || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: errors\n%s\nwant the seed's line 34, key haproxy.config_file and %q", tc.repl, errs, tc.want)
		}
	}
}

func TestSeedCheckExitCodes(t *testing.T) {
	dir := copyConfigs(t, func(name, s string) string {
		if name == "haproxy2.toml" {
			return strings.Replace(s, `cluster = "HAcluster"`, `cluster = "Other"`, 1)
		}
		return s
	})
	if code, _, errs := runMain("seed", "check", filepath.Join(dir, "haproxy1.toml"), filepath.Join(dir, "haproxy2.toml")); code != 1 || !strings.Contains(errs, "node.cluster") {
		t.Errorf("mismatched pair: exit %d\n%s", code, errs)
	}
	if code, _, _ := runMain("seed", "check"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if code, _, _ := runMain("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, errs := runMain("seed", "check", filepath.Join(dir, "missing.toml")); code != 1 || !strings.Contains(errs, "missing.toml:1:1") {
		t.Errorf("missing file: exit %d\n%s", code, errs)
	}
}
