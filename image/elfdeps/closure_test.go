package elfdeps

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFindOnHostRoot uses the host as the package root: /usr/bin/true and
// its libraries, reached through the lib64 interpreter symlink.
func TestFindOnHostRoot(t *testing.T) {
	c, err := Find("/", "/usr/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, f := range c.Files {
		has[f] = true
	}
	if !has["usr/bin/true"] {
		t.Errorf("Files = %v, want usr/bin/true", c.Files)
	}
	var libc, ld bool
	for f := range has {
		switch filepath.Base(f) {
		case "libc.so.6":
			libc = true
		case "ld-linux-x86-64.so.2":
			ld = true
		}
	}
	if !libc || !ld {
		t.Errorf("Files = %v, want libc.so.6 and ld-linux-x86-64.so.2", c.Files)
	}
	if _, ok := c.Symlinks["lib64"]; !ok {
		if _, ok2 := c.Symlinks["lib64/ld-linux-x86-64.so.2"]; !ok2 {
			t.Errorf("Symlinks = %v, want the lib64 interpreter link", c.Symlinks)
		}
	}
}

func TestSyntheticRootAndCopyRuns(t *testing.T) {
	if _, err := os.Stat("/usr/bin/true"); err != nil {
		t.Skip("no /usr/bin/true")
	}
	c, err := Find("/", "/usr/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	// Copy the closure into a fresh root and run the program there through
	// its own interpreter: proves nothing needed was left out.
	root := t.TempDir()
	for l, target := range c.Symlinks {
		os.MkdirAll(filepath.Join(root, filepath.Dir(l)), 0o755)
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	for _, f := range c.Files {
		data, err := os.ReadFile(filepath.Join("/", f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Find(root, "/usr/bin/true")
	if err != nil {
		t.Fatalf("Find on the copied root: %v", err)
	}
	if len(again.Files) != len(c.Files) {
		t.Errorf("copied root closure has %d files, want %d", len(again.Files), len(c.Files))
	}
	ld := ""
	for _, f := range again.Files {
		if filepath.Base(f) == "ld-linux-x86-64.so.2" {
			ld = filepath.Join(root, f)
		}
	}
	libPath := filepath.Join(root, "lib/x86_64-linux-gnu") + ":" + filepath.Join(root, "usr/lib/x86_64-linux-gnu")
	out, err := exec.Command(ld, "--inhibit-cache", "--library-path", libPath, filepath.Join(root, "usr/bin/true")).CombinedOutput()
	if err != nil {
		t.Errorf("running the copied program: %v\n%s", err, out)
	}
}

func TestMissingLibrary(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	data, err := os.ReadFile("/usr/bin/true")
	if err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/true"), data, 0o755)
	if _, err := Find(root, "/usr/bin/true"); err == nil {
		t.Errorf("Find with no libraries = nil error, want not found")
	}
}
