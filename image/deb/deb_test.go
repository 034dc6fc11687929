package deb

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func makeDeb(t *testing.T, comp string) string {
	t.Helper()
	var data bytes.Buffer
	tw := tar.NewWriter(&data)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	add(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "./usr/sbin/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "./usr/sbin/prog", Typeflag: tar.TypeReg, Mode: 0o755}, "binary")
	add(&tar.Header{Name: "./usr/sbin/alias", Typeflag: tar.TypeSymlink, Linkname: "prog"}, "")
	add(&tar.Header{Name: "./usr/sbin/hard", Typeflag: tar.TypeLink, Linkname: "./usr/sbin/prog"}, "")
	add(&tar.Header{Name: "../../escape", Typeflag: tar.TypeReg, Mode: 0o644}, "x")
	tw.Close()
	var packed bytes.Buffer
	switch comp {
	case "xz":
		w, _ := xz.NewWriter(&packed)
		w.Write(data.Bytes())
		w.Close()
	case "zst":
		w, _ := zstd.NewWriter(&packed)
		w.Write(data.Bytes())
		w.Close()
	}
	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	member := func(name string, body []byte) {
		fmt.Fprintf(&ar, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(body))
		ar.Write(body)
		if len(body)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.xz", []byte("odd"))
	member("data.tar."+comp, packed.Bytes())
	file := filepath.Join(t.TempDir(), "p_1_amd64.deb")
	if err := os.WriteFile(file, ar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestUnpack(t *testing.T) {
	for _, comp := range []string{"xz", "zst"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			if err := Unpack(makeDeb(t, comp), root); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(root, "usr/sbin/hard")); err != nil || string(b) != "binary" {
				t.Errorf("hard link = %q, %v; want binary", b, err)
			}
			if l, err := os.Readlink(filepath.Join(root, "usr/sbin/alias")); err != nil || l != "prog" {
				t.Errorf("symlink = %q, %v; want prog", l, err)
			}
			if st, err := os.Stat(filepath.Join(root, "usr/sbin/prog")); err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("prog mode = %v, %v; want 0755", st, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
				t.Errorf("../../escape was written outside the root")
			}
			if _, err := os.Stat(filepath.Join(root, "escape")); err != nil {
				t.Errorf("../../escape not clamped into the root: %v", err)
			}
		})
	}
}

func TestNotADeb(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(f, []byte("hello"), 0o644)
	if err := Unpack(f, t.TempDir()); err == nil {
		t.Errorf("Unpack(non-deb) = nil error, want error")
	}
}
