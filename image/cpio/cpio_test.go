package cpio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"tandem/image/fstree"
)

func sampleTree(t *testing.T) *fstree.Tree {
	t.Helper()
	tr := fstree.New()
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.AddFile("init", src, 0o755))
	must(tr.AddBytes("etc/hostname", []byte("tandem\n"), 0o644))
	must(tr.AddSymlink("lib64", "usr/lib64"))
	must(tr.AddCharDev("dev/console", 0o600, 5, 1))
	must(tr.AddDir("tmp", 0o1777))
	return tr
}

func TestRoundTripAndDeterminism(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteTree(&a, sampleTree(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	if err := WriteTree(&b, sampleTree(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two writes of the same tree differ")
	}
	recs, err := ReadAll(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]Record{}
	for _, r := range recs {
		names = append(names, r.Name)
		byName[r.Name] = r
		if r.Mtime != 1700000000 || r.UID != 0 || r.GID != 0 {
			t.Errorf("%s: mtime %d uid %d gid %d, want 1700000000 0 0", r.Name, r.Mtime, r.UID, r.GID)
		}
	}
	want := []string{"dev", "dev/console", "etc", "etc/hostname", "init", "lib64", "tmp"}
	if len(names) != len(want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("names = %v, want %v", names, want)
		}
	}
	if r := byName["init"]; r.Mode != 0o100755 || string(r.Data) != "#!/bin/sh\necho hi\n" {
		t.Errorf("init = mode %o data %q", r.Mode, r.Data)
	}
	if r := byName["lib64"]; r.Mode != 0o120777 || string(r.Data) != "usr/lib64" {
		t.Errorf("lib64 = mode %o data %q", r.Mode, r.Data)
	}
	if r := byName["dev/console"]; r.Mode != 0o020600 || r.Major != 5 || r.Minor != 1 {
		t.Errorf("dev/console = mode %o %d:%d", r.Mode, r.Major, r.Minor)
	}
	if r := byName["tmp"]; r.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp mode = %o, want sticky 1777", r.Mode)
	}
}

// TestGNUCpioReadsIt cross-checks with an independent reader when present.
func TestGNUCpioReadsIt(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed")
	}
	var a bytes.Buffer
	if err := WriteTree(&a, sampleTree(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cpio", "-t", "--quiet")
	cmd.Stdin = &a
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	if want := "dev\ndev/console\netc\netc/hostname\ninit\nlib64\ntmp\n"; string(out) != want {
		t.Errorf("cpio -t = %q, want %q", out, want)
	}
}
