package seed_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tandem/init/seed"
)

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedFiles is a seed folder: haproxy1 or haproxy2 with haproxy.cfg.
func seedFiles(t *testing.T, node string) map[string][]byte {
	return map[string][]byte{
		"seed.toml":   readExample(t, node+".toml"),
		"haproxy.cfg": readExample(t, "haproxy.cfg"),
	}
}

func invalidSeed(t *testing.T) map[string][]byte {
	f := seedFiles(t, "haproxy1")
	f["seed.toml"] = []byte(strings.Replace(string(f["seed.toml"]), `address = "192.168.10.80/24"`, `address = "192.168.10.800/24"`, 1))
	return f
}

// fatVolume makes a FAT image labelled label with the files under tandem/.
func fatVolume(t *testing.T, label string, files map[string][]byte, mkfsArgs ...string) string {
	t.Helper()
	for _, tool := range []string{"mkfs.fat", "mcopy", "mmd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	size := "8192"
	if strings.Contains(strings.Join(mkfsArgs, " "), "-F 32") {
		size = "40000" // mtools cannot make directories on smaller FAT32 volumes
	}
	sh(t, "mkfs.fat", append(append([]string{"-C", "-n", label}, mkfsArgs...), img, size)...)
	sh(t, "mmd", "-i", img, "::tandem")
	for name, data := range files {
		src := filepath.Join(dir, "src")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sh(t, "mcopy", "-o", "-i", img, src, "::tandem/"+name)
	}
	return img
}

func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func writeDir(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// node is one appliance's surroundings: a state dir that lasts across
// boots, and the devices, fw_cfg and command line of the current boot.
type node struct {
	state, fwcfg string
	devices      []string
	cmdline      string
}

func newNode(t *testing.T) *node {
	return &node{state: t.TempDir(), fwcfg: t.TempDir()}
}

func (n *node) boot(t *testing.T) (*seed.Found, error) {
	t.Helper()
	return seed.Discover(context.Background(), seed.DiscoverEnv{
		Cmdline:     n.cmdline,
		CmdlinePath: filepath.Join(t.TempDir(), "no-cmdline"),
		StateDir:    n.state,
		Devices:     func() ([]string, error) { return n.devices, nil },
		FwCfgDir:    n.fwcfg,
		TempDir:     filepath.Join(t.TempDir(), "run", "seed"), // made by Discover, as on a fresh /run
		Logf:        t.Logf,
	})
}

func mustBoot(t *testing.T, n *node, wantNode, wantSource string) *seed.Found {
	t.Helper()
	f, err := n.boot(t)
	if err != nil {
		t.Fatalf("Discover() = %v\n%s", err, f.Report())
	}
	if f.Config.Node.Name != wantNode || !strings.Contains(f.Source, wantSource) {
		t.Fatalf("Discover() used %s from %q, want %s from %q", f.Config.Node.Name, f.Source, wantNode, wantSource)
	}
	if !strings.Contains(f.Config.HAProxy.Config, "backend") {
		t.Errorf("HAProxy config not loaded: %q", f.Config.HAProxy.Config)
	}
	return f
}

func TestVolumePrecedenceAcrossBoots(t *testing.T) {
	n := newNode(t)

	// First boot: the seed comes from the volume and is persisted.
	n.devices = []string{filepath.Join(t.TempDir(), "not-a-disk"), fatVolume(t, "TANDEM", seedFiles(t, "haproxy1"))}
	f := mustBoot(t, n, "haproxy1", "TANDEM volume")
	if !f.Persisted || f.PersistErr != nil {
		t.Fatalf("first boot: Persisted = %v, %v; want persisted", f.Persisted, f.PersistErr)
	}
	persisted := seed.PersistedSeedPath(n.state)
	if f.Config.Source != persisted || f.Config.HAProxy.File != filepath.Join(n.state, "tandem", "haproxy.cfg") {
		t.Errorf("config points at %s and %s, want the persisted copies", f.Config.Source, f.Config.HAProxy.File)
	}
	for _, name := range []string{"seed.toml", "haproxy.cfg"} {
		got, err := os.ReadFile(filepath.Join(n.state, "tandem", name))
		if err != nil || string(got) != string(seedFiles(t, "haproxy1")[name]) {
			t.Errorf("persisted %s = %v; want the volume's copy", name, err)
		}
	}

	// Second boot, same volume: the persisted seed runs, nothing is written.
	f = mustBoot(t, n, "haproxy1", "persisted state")
	if f.Persisted {
		t.Errorf("second boot rewrote an unchanged seed")
	}

	// The volume is gone: the persisted seed still runs.
	n.devices = nil
	mustBoot(t, n, "haproxy1", "persisted state")

	// An invalid new seed on the volume is rejected; the last good one runs.
	n.devices = []string{fatVolume(t, "tandem", invalidSeed(t), "-F", "32", "-s", "1")}
	f = mustBoot(t, n, "haproxy1", "persisted state")
	if len(f.Rejected) != 1 {
		t.Fatalf("Rejected = %v, want the invalid volume seed", f.Rejected)
	}
	var ps seed.Problems
	if !errors.As(f.Rejected[0].Err, &ps) || !strings.Contains(ps[0].File, n.devices[0]+":tandem/seed.toml") || ps[0].Key != "vip[0].address" {
		t.Errorf("rejection = %v, want a problem at %s:tandem/seed.toml vip[0].address", f.Rejected[0].Err, n.devices[0])
	}
	if r := f.Report(); !strings.Contains(r, "seed: from persisted state") || !strings.Contains(r, "seed: rejected tandem volume") {
		t.Errorf("Report() =\n%s\nwant the source and the rejection", r)
	}

	// A valid new seed on the volume replaces the persisted one.
	n.devices = []string{fatVolume(t, "TANDEM", seedFiles(t, "haproxy2"), "-F", "12")}
	f = mustBoot(t, n, "haproxy2", "TANDEM volume")
	if !f.Persisted {
		t.Errorf("the new seed was not persisted")
	}
	n.devices = nil
	mustBoot(t, n, "haproxy2", "persisted state")
}

func TestVolumeLabelMustMatch(t *testing.T) {
	n := newNode(t)
	n.devices = []string{fatVolume(t, "OTHER", seedFiles(t, "haproxy1"))}
	if f, err := n.boot(t); !errors.Is(err, seed.ErrNoSeed) || f.Config != nil {
		t.Fatalf("Discover() = %v, %v; want ErrNoSeed for a volume labelled OTHER", f.Source, err)
	}
}

func TestVolumeSeedMustNotEscape(t *testing.T) {
	n := newNode(t)
	files := seedFiles(t, "haproxy1")
	files["seed.toml"] = []byte(strings.Replace(string(files["seed.toml"]), `config_file = "haproxy.cfg"`, `config_file = "/etc/passwd"`, 1))
	n.devices = []string{fatVolume(t, "TANDEM", files)}
	f, err := n.boot(t)
	if !errors.Is(err, seed.ErrNoSeed) || len(f.Rejected) != 1 || !strings.Contains(f.Rejected[0].Err.Error(), "relative path") {
		t.Fatalf("Discover() = %v, rejected %v; want the absolute config_file rejected", err, f.Rejected)
	}
}

func TestFwCfg(t *testing.T) {
	n := newNode(t)
	fake := map[string][]byte{}
	for name, data := range seedFiles(t, "haproxy1") {
		fake["by_name/opt/tandem/"+name+"/raw"] = data
	}
	writeDir(t, n.fwcfg, fake)
	mustBoot(t, n, "haproxy1", "QEMU fw_cfg")

	// The volume outranks fw_cfg.
	n.devices = []string{fatVolume(t, "TANDEM", seedFiles(t, "haproxy2"))}
	mustBoot(t, n, "haproxy2", "TANDEM volume")
	// An unchanged volume keeps its seed even though fw_cfg differs.
	mustBoot(t, n, "haproxy2", "persisted state")
}

func TestCmdlinePath(t *testing.T) {
	n := newNode(t)
	dir := t.TempDir()
	writeDir(t, dir, map[string][]byte{"node.toml": readExample(t, "haproxy1.toml"), "haproxy.cfg": readExample(t, "haproxy.cfg")})
	n.devices = []string{fatVolume(t, "TANDEM", seedFiles(t, "haproxy2"))}
	n.cmdline = `console=ttyS0 tandem.seed="` + filepath.Join(dir, "node.toml") + `" quiet`
	f := mustBoot(t, n, "haproxy1", "kernel command line")
	if !f.Persisted {
		t.Errorf("command-line seed not persisted")
	}

	// An invalid command-line seed is rejected; discovery goes on.
	writeDir(t, dir, map[string][]byte{"bad.toml": invalidSeed(t)["seed.toml"]})
	n.cmdline = "tandem.seed=" + filepath.Join(dir, "bad.toml")
	f = mustBoot(t, n, "haproxy2", "TANDEM volume")
	if len(f.Rejected) != 1 || !strings.Contains(f.Rejected[0].Source, "kernel command line") {
		t.Errorf("Rejected = %v, want the command-line seed", f.Rejected)
	}

	n.cmdline = "tandem.seed=LABEL=tandem"
	mustBoot(t, n, "haproxy2", "kernel command line (TANDEM volume")
}

func TestNoSeed(t *testing.T) {
	f, err := newNode(t).boot(t)
	if !errors.Is(err, seed.ErrNoSeed) || f == nil || f.Config != nil {
		t.Fatalf("Discover() = %+v, %v; want ErrNoSeed", f, err)
	}
	if !strings.Contains(f.Report(), "none found") {
		t.Errorf("Report() = %q", f.Report())
	}
}

// TestInterruptedPersist finds the previous seed when a crash left it
// renamed aside.
func TestInterruptedPersist(t *testing.T) {
	n := newNode(t)
	writeDir(t, filepath.Join(n.state, "tandem.old"), seedFiles(t, "haproxy1"))
	writeDir(t, filepath.Join(n.state, "tandem.new-123"), seedFiles(t, "haproxy2"))
	mustBoot(t, n, "haproxy1", "persisted state")
	if _, err := os.Stat(filepath.Join(n.state, "tandem.new-123")); !os.IsNotExist(err) {
		t.Errorf("half-written seed folder left behind: %v", err)
	}
}

func TestPersistFailureStillRuns(t *testing.T) {
	n := newNode(t)
	n.state = filepath.Join(t.TempDir(), "missing")
	n.devices = []string{fatVolume(t, "TANDEM", seedFiles(t, "haproxy1"))}
	f, err := n.boot(t)
	if err != nil || f.Config == nil {
		t.Fatalf("Discover() = %v", err)
	}
	if f.PersistErr == nil || f.Persisted {
		t.Errorf("PersistErr = %v, want an error for a missing state directory", f.PersistErr)
	}
}

func TestCmdlineValue(t *testing.T) {
	for _, tc := range []struct {
		line, want string
		ok         bool
	}{
		{"", "", false},
		{"ro quiet", "", false},
		{"tandem.seed=/seed.toml", "/seed.toml", true},
		{"a=1 tandem.seed=fwcfg b", "fwcfg", true},
		{`tandem.seed="/a b/seed.toml" x`, "/a b/seed.toml", true},
		{"tandem.seed=one tandem.seed=two\n", "two", true},
		{"tandem.seeds=no tandem.seed=LABEL=SEED", "LABEL=SEED", true},
		{"tandem.seed=", "", true},
	} {
		got, ok := seed.CmdlineValue(tc.line, seed.CmdlineKey)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CmdlineValue(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}
