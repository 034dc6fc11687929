package fat

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tandem/image/fstree"
)

var epoch = time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)

func sampleTree(t *testing.T) *fstree.Tree {
	t.Helper()
	tr := fstree.New()
	big := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80000 bytes, many clusters
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.AddBytes("EFI/BOOT/BOOTX64.EFI", []byte("MZ fake loader"), 0o644))
	must(tr.AddBytes("vmlinuz", big, 0o644))
	must(tr.AddBytes("loader/entries/tandem.conf", []byte("linux /vmlinuz\n"), 0o644))
	must(tr.AddBytes("loader/loader.conf", []byte("timeout 0\n"), 0o644))
	must(tr.AddBytes("A very long file name with spaces.toml", []byte("x = 1\n"), 0o644))
	must(tr.AddBytes("empty", nil, 0o644))
	must(tr.AddDir("tandem", 0o755))
	return tr
}

func writeImage(t *testing.T, tr *fstree.Tree) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "fat.img")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 40 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := Write(f, 0, tr, Options{Size: size, Label: "TANDEM", VolumeID: 0x1234abcd, Time: epoch}); err != nil {
		t.Fatal(err)
	}
	return file
}

func sum(t *testing.T, file string) [32]byte {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestDeterministicAndReadBack(t *testing.T) {
	a, b := writeImage(t, sampleTree(t)), writeImage(t, sampleTree(t))
	if sum(t, a) != sum(t, b) {
		t.Fatalf("two writes of the same tree differ")
	}
	f, _ := os.Open(a)
	defer f.Close()
	v, err := Read(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != "TANDEM" || v.VolumeID != 0x1234abcd {
		t.Errorf("label %q id %x, want TANDEM 1234abcd", v.Label, v.VolumeID)
	}
	want := sampleTree(t)
	if v.Tree.Len() != want.Len() {
		t.Errorf("read back %d entries, want %d", v.Tree.Len(), want.Len())
	}
	for _, e := range want.Entries() {
		got, ok := v.Tree.Get(e.Path)
		if !ok || got.Kind != e.Kind || !bytes.Equal(got.Data, e.Data) && e.Kind == fstree.File {
			t.Errorf("read back %s = %+v, want %d bytes", e.Path, got, e.Size)
		}
	}
}

func TestTooSmall(t *testing.T) {
	f, _ := os.Create(filepath.Join(t.TempDir(), "x"))
	defer f.Close()
	if err := Write(f, 0, fstree.New(), Options{Size: 16 << 20}); err == nil {
		t.Errorf("Write(16 MiB) = nil error, want too small for FAT32")
	}
}

func TestFsckAndMtools(t *testing.T) {
	for _, tool := range []string{"fsck.fat", "mdir", "mcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	img := writeImage(t, sampleTree(t))
	if out, err := exec.Command("fsck.fat", "-n", "-v", img).CombinedOutput(); err != nil {
		t.Fatalf("fsck.fat -n: %v\n%s", err, out)
	} else if strings.Contains(string(out), "differ") || strings.Contains(string(out), "Free cluster summary wrong") {
		t.Errorf("fsck.fat reports a problem:\n%s", out)
	}
	out, err := exec.Command("mdir", "-i", img, "-/", "-b", "::").CombinedOutput()
	if err != nil {
		t.Fatalf("mdir: %v\n%s", err, out)
	}
	for _, want := range []string{"::/EFI/BOOT/BOOTX64.EFI", "::/loader/entries/tandem.conf", "::/A very long file name with spaces.toml", "::/vmlinuz", "::/tandem/"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("mdir -/ -b = %s, missing %s", out, want)
		}
	}
	label, _ := exec.Command("mlabel", "-i", img, "-s", "::").CombinedOutput()
	if !strings.Contains(string(label), "TANDEM") {
		t.Errorf("mlabel -s = %q, want TANDEM", label)
	}
	got, err := exec.Command("mtype", "-i", img, "::/vmlinuz").Output()
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte("0123456789abcdef"), 5000)) {
		t.Errorf("mtype vmlinuz: %d bytes, err %v", len(got), err)
	}
	// A file written by mtools (its own allocation and names) reads back.
	src := filepath.Join(t.TempDir(), "seed.toml")
	os.WriteFile(src, []byte("node = \"haproxy1\"\n"), 0o644)
	if out, err := exec.Command("mcopy", "-i", img, src, "::/tandem/seed.toml").CombinedOutput(); err != nil {
		t.Fatalf("mcopy: %v\n%s", err, out)
	}
	f, _ := os.Open(img)
	defer f.Close()
	v, err := Read(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := v.Tree.Get("tandem/seed.toml"); !ok || string(e.Data) != "node = \"haproxy1\"\n" {
		t.Errorf("Read after mcopy: tandem/seed.toml = %+v", e)
	}
}
