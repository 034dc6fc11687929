package seed_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tandem/init/seed"
)

// isoVolume makes an ISO9660 image with xorriso, labelled label, with the
// files under tandem/; args select the names (e.g. -J, -R, --norock).
func isoVolume(t *testing.T, label string, files map[string][]byte, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Skip("xorriso not installed")
	}
	dir := t.TempDir()
	writeDir(t, filepath.Join(dir, "src", "tandem"), files)
	img := filepath.Join(dir, "seed.iso")
	sh(t, "xorriso", append(append([]string{"-as", "mkisofs", "-quiet"}, args...), "-V", label, "-o", img, filepath.Join(dir, "src"))...)
	return img
}

func TestISOVolumeAcrossBoots(t *testing.T) {
	n := newNode(t)

	// First boot: the seed comes from a Rock Ridge and Joliet ISO.
	n.devices = []string{isoVolume(t, "TANDEM", seedFiles(t, "haproxy1"), "-J", "-R")}
	f := mustBoot(t, n, "haproxy1", "TANDEM volume "+n.devices[0]+" (ISO9660)")
	if !f.Persisted {
		t.Fatalf("first boot: the ISO's seed was not persisted: %v", f.PersistErr)
	}
	got, err := os.ReadFile(filepath.Join(n.state, "tandem", "haproxy.cfg"))
	if err != nil || string(got) != string(readExample(t, "haproxy.cfg")) {
		t.Errorf("persisted haproxy.cfg = %v; want the ISO's copy", err)
	}
	mustBoot(t, n, "haproxy1", "persisted state")

	// An invalid new seed on a plain ISO9660 volume (upper-case names, which
	// match case-insensitively) is rejected; the last good one runs.
	n.devices = []string{isoVolume(t, "tandem", invalidSeed(t), "--norock", "-iso-level", "2")}
	f = mustBoot(t, n, "haproxy1", "persisted state")
	var ps seed.Problems
	if len(f.Rejected) != 1 || !errors.As(f.Rejected[0].Err, &ps) ||
		!strings.Contains(ps[0].File, n.devices[0]+":tandem/seed.toml") || ps[0].Key != "vip[0].address" {
		t.Fatalf("Rejected = %v, want the ISO's seed with a problem at vip[0].address", f.Rejected)
	}
	if r := f.Report(); !strings.Contains(r, "seed: rejected tandem volume "+n.devices[0]+" (ISO9660)") {
		t.Errorf("Report() =\n%s\nwant the ISO's seed rejected", r)
	}

	// A valid new seed on a Joliet-only ISO replaces the persisted one.
	n.devices = []string{isoVolume(t, "TANDEM", seedFiles(t, "haproxy2"), "--norock", "-J")}
	if f = mustBoot(t, n, "haproxy2", "(ISO9660)"); !f.Persisted {
		t.Errorf("the ISO's new seed was not persisted")
	}
}

// TestCorruptISOSkipped puts an ISO whose root directory is cut off before
// a good FAT volume: the ISO is logged and skipped.
func TestCorruptISOSkipped(t *testing.T) {
	iso := isoVolume(t, "TANDEM", seedFiles(t, "haproxy2"), "-R")
	data, err := os.ReadFile(iso)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(iso, data[:17*2048], 0o644); err != nil {
		t.Fatal(err)
	}
	n := newNode(t)
	n.devices = []string{iso, fatVolume(t, "TANDEM", seedFiles(t, "haproxy1"))}
	mustBoot(t, n, "haproxy1", "TANDEM volume "+n.devices[1]+" (FAT")
}

func TestISOLabelMustMatch(t *testing.T) {
	n := newNode(t)
	n.devices = []string{isoVolume(t, "OTHER", seedFiles(t, "haproxy1"), "-J", "-R")}
	if f, err := n.boot(t); !errors.Is(err, seed.ErrNoSeed) || f.Config != nil {
		t.Fatalf("Discover() = %v, %v; want ErrNoSeed for an ISO labelled OTHER", f.Source, err)
	}
}
