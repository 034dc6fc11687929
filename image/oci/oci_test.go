package oci

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tandem/image/fstree"
)

func tree(t *testing.T) *fstree.Tree {
	tr := fstree.New()
	for _, err := range []error{
		tr.AddBytes("init", []byte("\x7fELF fake"), 0o755),
		tr.AddSymlink("lib64", "usr/lib64"),
		tr.AddCharDev("dev/console", 0o600, 5, 1),
		tr.AddDir("tmp", 0o1777),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func TestWriteInspectDeterministic(t *testing.T) {
	dir := t.TempDir()
	opt := Options{Entrypoint: []string{"/init"}, Tag: "tandem:latest", Time: time.Unix(1700000000, 0)}
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	if err := WriteArchive(a, tree(t), opt); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(b, tree(t), opt); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatalf("two archives of the same tree differ")
	}
	img, err := Inspect(a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/init"}, img.Config.Config.Entrypoint); diff != "" {
		t.Errorf("Entrypoint (-want +got):\n%s", diff)
	}
	if img.Config.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("Created = %s", img.Config.Created)
	}
	var names []string
	for n, h := range img.Files {
		names = append(names, n)
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(opt.Time) {
			t.Errorf("%s: uid %d gid %d mtime %v", n, h.Uid, h.Gid, h.ModTime)
		}
	}
	if h := img.Files["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ = %+v, want mode 1777", h)
	}
	if h := img.Files["lib64"]; h == nil || h.Linkname != "usr/lib64" {
		t.Errorf("lib64 = %+v", h)
	}
	if img.Files["dev/console"] != nil {
		t.Errorf("device node in the OCI layer")
	}
	if img.Files["init"] == nil || img.Files["init"].Mode != 0o755 {
		t.Errorf("init missing or wrong mode; files %v", names)
	}
}
