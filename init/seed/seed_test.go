package seed_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tandem/init/seed"
)

// example copies the example seeds into a temporary folder, applies edit
// (a function of the named file's text) and returns the folder.
func example(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"haproxy1.toml", "haproxy2.toml", "haproxy.cfg"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if name == file && edit != nil {
			s = edit(s)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// replaceLine swaps the one line that starts with old for repl.
func replaceLine(t *testing.T, old, repl string) func(string) string {
	return func(s string) string {
		lines := strings.Split(s, "\n")
		n := 0
		for i, l := range lines {
			if strings.HasPrefix(l, old) {
				lines[i] = repl
				n++
			}
		}
		if n != 1 {
			t.Fatalf("edit: %d lines start with %q, want 1", n, old)
		}
		return strings.Join(lines, "\n")
	}
}

func lineOf(t *testing.T, text, prefix string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

func load(t *testing.T, dir, name string) (*seed.Config, seed.Problems) {
	t.Helper()
	c, err := seed.Load(context.Background(), filepath.Join(dir, name), seed.Options{})
	if err == nil {
		return c, nil
	}
	var ps seed.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load error %v is not Problems", err)
	}
	return nil, ps
}

func TestExamplesAreValid(t *testing.T) {
	dir := example(t, "", nil)
	a, ps := load(t, dir, "haproxy1.toml")
	if ps != nil {
		t.Fatalf("haproxy1.toml: %v", ps)
	}
	b, ps := load(t, dir, "haproxy2.toml")
	if ps != nil {
		t.Fatalf("haproxy2.toml: %v", ps)
	}
	if err := seed.CheckPair(a, b); err != nil {
		t.Fatalf("CheckPair = %v, want nil", err)
	}
	if got, want := a.VIPs[0].Address, netip.MustParsePrefix("192.168.10.80/24"); got != want {
		t.Errorf("VIP = %v, want %v", got, want)
	}
	if a.Failover.Failback || a.Failover.MigrationThreshold != 1 || a.Failover.Profile != seed.ProfileDefault {
		t.Errorf("failover = %+v, want no failback, threshold 1, default profile", a.Failover)
	}
	if !strings.Contains(a.HAProxy.Config, "backend webs") {
		t.Errorf("HAProxy config not loaded from the file next to the seed")
	}
}

// TestOneLineMistakes makes each kind of mistake by editing one line of the
// example seed and checks the problem names that line and the key.
func TestOneLineMistakes(t *testing.T) {
	cases := []struct {
		name      string
		old, repl string
		key, msg  string
	}{
		{"unknown key (typo)", `migration_threshold`, `migraton_threshold = 1`, "failover.migraton_threshold", "unknown key"},
		{"unknown top-level table", `[failover]`, `[failovr]`, "failovr", "unknown key"},
		{"wrong type", `migration_threshold`, `migration_threshold = "1"`, "failover.migration_threshold", "want an integer"},
		{"wrong type bool", `failback`, `failback = "no"`, "failover.failback", "want true or false"},
		{"wrong type list", `peers = [`, `peers = "10.1.1.2"`, "interlink.peers", "want an array of strings"},
		{"invalid address", `addresses = [`, `addresses = ["192.168.10.300/24"]`, "interface[0].addresses", "not an address with prefix"},
		{"missing prefix", `address = "10.1.1.1/24"`, `address = "10.1.1.1"`, "interlink.address", "not an address with prefix"},
		{"invalid peer", `peers = [`, `peers = ["10.1.1.x"]`, "interlink.peers", "not an IP address"},
		{"invalid MAC", `interface = "eth1"`, `mac = "52:54:00:zz:00:01"`, "interlink.mac", "not an Ethernet MAC"},
		{"VIP outside subnet", `address = "192.168.10.80/24"`, `address = "192.168.20.80/24"`, "vip[0].address", "outside interface eth0's subnets"},
		{"VIP prefix mismatch", `address = "192.168.10.80/24"`, `address = "192.168.10.80/25"`, "vip[0].address", "prefix length 25"},
		{"VIP unknown interface", `interface = "eth0"`, `interface = "eth9"`, "vip[0].interface", "not a data interface"},
		{"interlink in data subnet", `address = "10.1.1.1/24"`, `address = "192.168.10.1/24"`, "interlink.address", "overlaps data interface eth0"},
		{"peer outside interlink subnet", `peers = [`, `peers = ["10.1.2.2"]`, "interlink.peers", "outside the interlink subnet"},
		{"peer is self", `peers = [`, `peers = ["10.1.1.1"]`, "interlink.peers", "own interlink address"},
		{"missing key", `key = `, `# no key`, "node.key", "missing"},
		{"short key", `key = `, `key = "secret"`, "node.key", "want at least 16"},
		{"unreadable HAProxy file", `config_file`, `config_file = "nonexistent.cfg"`, "haproxy.config_file", "cannot read"},
		{"bad node name", `name = "haproxy1"`, `name = "haproxy_1"`, "node.name", "not a valid host name"},
		{"bad profile", `profile`, `profile = "turbo"`, "failover.profile", "not a timing profile"},
		{"threshold zero", `migration_threshold`, `migration_threshold = 0`, "failover.migration_threshold", "want 1 or more"},
		{"failback without preferred", `failback`, `failback = true`, "failover.failback", "no preferred node"},
		{"bad MTU", `interface = "eth1"`, `mtu = 20`, "interlink.mtu", "want 68 to 65535"},
		{"bad host name", `names = ["haproxy1"`, `names = ["haproxy 1"]`, "hosts[0].names", "not a valid host name"},
		{"syntax error", `profile`, `profile = "default`, "", "TOML syntax"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := example(t, "haproxy1.toml", replaceLine(t, tc.old, tc.repl))
			text, _ := os.ReadFile(filepath.Join(dir, "haproxy1.toml"))
			wantLine := lineOf(t, string(text), tc.repl)
			_, ps := load(t, dir, "haproxy1.toml")
			if len(ps) == 0 {
				t.Fatalf("Load succeeded, want a problem at line %d key %q", wantLine, tc.key)
			}
			for _, p := range ps {
				if (tc.key == "" || p.Key == tc.key) && strings.Contains(p.Msg, tc.msg) {
					if p.Line != wantLine && tc.repl != "# no key" {
						t.Errorf("problem %q is at line %d, want %d", p, p.Line, wantLine)
					}
					if !strings.HasPrefix(p.String(), filepath.Join(dir, "haproxy1.toml")+":") {
						t.Errorf("problem %q does not start with the file name", p)
					}
					return
				}
			}
			t.Errorf("problems = %v\nwant key %q with %q", ps, tc.key, tc.msg)
		})
	}
}

func TestReportsEveryProblemAtOnce(t *testing.T) {
	dir := example(t, "haproxy1.toml", func(s string) string {
		s = strings.Replace(s, `migration_threshold = 1`, `migration_threshold = "x"`, 1)
		s = strings.Replace(s, `key = "change-me`, `kee = "change-me`, 1)
		s = strings.Replace(s, `"192.168.10.80/24"`, `"192.168.99.80/24"`, 1)
		return s
	})
	_, ps := load(t, dir, "haproxy1.toml")
	keys := map[string]bool{}
	for _, p := range ps {
		keys[p.Key] = true
	}
	for _, k := range []string{"failover.migration_threshold", "node.kee", "node.key", "vip[0].address"} {
		if !keys[k] {
			t.Errorf("no problem for %s in %v", k, ps)
		}
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Errorf("problems not in line order: %v", ps)
		}
	}
}

func TestInlineHAProxyAndDHCP(t *testing.T) {
	dir := example(t, "haproxy1.toml", func(s string) string {
		s = strings.Replace(s, `config_file = "haproxy.cfg"`, "config = \"\"\"\nglobal\n  maxconn 10\n# key = \"not a key\"\n\"\"\"", 1)
		s = strings.Replace(s, `addresses = ["192.168.10.81/24"]`, "dhcp = true", 1)
		s = strings.Replace(s, `lan_peers = ["192.168.10.82"]`, "", 1)
		return s + "\n[[interface]]\nname = \"eth2\"\nmac = \"52:54:00:00:00:02\"\naddresses = [\n  \"172.16.0.5/16\",\n  \"2001:db8::5/64\",\n]\ngateway = \"172.16.0.1\"\nmtu = 9000\ndns = [\"172.16.0.1\"]\n"
	})
	c, ps := load(t, dir, "haproxy1.toml")
	if ps != nil {
		t.Fatalf("Load: %v", ps)
	}
	if !c.Interfaces[0].DHCP || c.HAProxy.File != "" || !strings.Contains(c.HAProxy.Config, "maxconn 10") {
		t.Errorf("got %+v, want DHCP on eth0 and the inline HAProxy config", c)
	}
	if got := c.Interfaces[1]; got.MTU != 9000 || got.MAC.String() != "52:54:00:00:00:02" || len(got.Addresses) != 2 {
		t.Errorf("interface[1] = %+v", got)
	}
}

func TestPairMistakes(t *testing.T) {
	cases := []struct {
		name      string
		old, repl string
		key       string
	}{
		{"same node name", `name = "haproxy2"`, `name = "haproxy1"`, "node.name"},
		{"other cluster", `cluster = `, `cluster = "OTHER"`, "node.cluster"},
		{"other key", `key = `, `key = "another long shared secret"`, "node.key"},
		{"other VIPs", `address = "192.168.10.80/24"`, `address = "192.168.10.79/24"`, "vip"},
		{"peer points elsewhere", `peers = [`, `peers = ["10.1.1.3"]`, "interlink.peers"},
		{"other profile", `profile`, `profile = "fast"`, "failover.profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := example(t, "haproxy2.toml", replaceLine(t, tc.old, tc.repl))
			a, ps := load(t, dir, "haproxy1.toml")
			if ps != nil {
				t.Fatal(ps)
			}
			b, ps := load(t, dir, "haproxy2.toml")
			if ps != nil {
				t.Fatal(ps)
			}
			err := seed.CheckPair(a, b)
			var pps seed.Problems
			if !errors.As(err, &pps) {
				t.Fatalf("CheckPair = %v, want Problems", err)
			}
			for _, p := range pps {
				if p.Key == tc.key && p.Line > 0 {
					return
				}
			}
			t.Errorf("CheckPair = %v, want a problem on %s", pps, tc.key)
		})
	}
}
