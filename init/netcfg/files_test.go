package netcfg

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestWriteResolvConfGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	servers := []netip.Addr{
		netip.MustParseAddr("192.168.10.53"), netip.MustParseAddr("2001:db8::53"),
		netip.MustParseAddr("192.168.10.53"), netip.MustParseAddr("::ffff:10.1.1.53"),
	}
	if err := WriteResolvConf(path, servers, []string{"lb.example.", "example", "lb.example"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden(t, "resolv.conf.golden", got)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if err := WriteResolvConf(path, nil, []string{"bad domain"}); err == nil {
		t.Error("WriteResolvConf(bad domain) = nil, want error")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files, want only resolv.conf (temp files left?)", len(entries))
	}
}

func TestWriteHostsGolden(t *testing.T) {
	dir := t.TempDir()
	entries := []HostEntry{
		{Addr: netip.MustParseAddr("10.1.1.2"), Names: []string{"haproxy2-ic"}},
		{Addr: netip.MustParseAddr("192.168.10.82"), Names: []string{"haproxy2.lb.example", "haproxy2"}},
		{Addr: netip.MustParseAddr("192.168.10.81"), Names: []string{"haproxy1.lb.example", "haproxy1"}},
		{Addr: netip.MustParseAddr("10.1.1.1"), Names: []string{"haproxy1-ic"}},
		{Addr: netip.MustParseAddr("2001:db8::81"), Names: []string{"haproxy1-v6"}},
		{Addr: netip.MustParseAddr("10.1.1.2"), Names: []string{"haproxy2-ic", "peer"}},
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := WriteHosts(a, "haproxy1", entries); err != nil {
		t.Fatal(err)
	}
	// Same set, other order: same bytes.
	rev := make([]HostEntry, len(entries))
	for i, e := range entries {
		rev[len(entries)-1-i] = e
	}
	if err := WriteHosts(b, "haproxy1", rev); err != nil {
		t.Fatal(err)
	}
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	if diff := cmp.Diff(string(ga), string(gb)); diff != "" {
		t.Errorf("hosts depends on entry order (-a +b):\n%s", diff)
	}
	golden(t, "hosts.golden", ga)

	// A hostname no entry names goes on 127.0.1.1.
	c := filepath.Join(dir, "c")
	if err := WriteHosts(c, "standalone", nil); err != nil {
		t.Fatal(err)
	}
	gc, _ := os.ReadFile(c)
	golden(t, "hosts-standalone.golden", gc)

	for _, bad := range []HostEntry{{Names: []string{"x"}}, {Addr: netip.MustParseAddr("10.0.0.1"), Names: []string{"a b"}}} {
		if err := WriteHosts(c, "h", []HostEntry{bad}); err == nil {
			t.Errorf("WriteHosts(%+v) = nil, want error", bad)
		}
	}
}
