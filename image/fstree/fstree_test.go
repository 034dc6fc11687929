package fstree

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEntriesOrderParentsFirst(t *testing.T) {
	tr := New()
	for _, p := range []string{"a.b", "a/z", "a/b/c", "b"} {
		if err := tr.AddBytes(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range tr.Entries() {
		got = append(got, e.Path)
	}
	want := []string{"a", "a/b", "a/b/c", "a/z", "a.b", "b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Entries() mismatch (-want +got):\n%s", diff)
	}
}

func TestConflicts(t *testing.T) {
	tr := New()
	if err := tr.AddSymlink("lib", "usr/lib"); err != nil {
		t.Fatal(err)
	}
	if err := tr.AddBytes("lib/x", nil, 0o644); err == nil {
		t.Errorf("AddBytes under a symlink = nil error, want error")
	}
	if err := tr.AddDir("lib", 0o755); err == nil {
		t.Errorf("AddDir over a symlink = nil error, want error")
	}
	if err := tr.AddBytes("etc/hosts", []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tr.AddBytes("etc/hosts", []byte("bb"), 0o600); err != nil {
		t.Fatalf("overlay replace: %v", err)
	}
	if e, _ := tr.Get("/etc/hosts"); e.Size != 2 || e.Perm != 0o600 {
		t.Errorf("after overlay: size %d perm %v, want 2 0600", e.Size, e.Perm)
	}
}

func TestAddHostDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc/ssl"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/ssl/x"), []byte("x"), 0o600)
	os.Symlink("ssl/x", filepath.Join(dir, "etc/y"))
	tr := New()
	if err := tr.AddHostDir(dir, "/"); err != nil {
		t.Fatal(err)
	}
	e, ok := tr.Get("etc/y")
	if !ok || e.Kind != Symlink || e.Target != "ssl/x" {
		t.Errorf("etc/y = %+v, want symlink to ssl/x", e)
	}
	e, ok = tr.Get("etc/ssl/x")
	if !ok || e.Kind != File || e.Perm != 0o644 || e.Size != 1 {
		t.Errorf("etc/ssl/x = %+v, want 0644 file of 1 byte (normalised)", e)
	}
}
