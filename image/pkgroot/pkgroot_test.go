package pkgroot

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFromDebsOffline uses a cache whose package list is already resolved
// and whose .debs are present: no apt, no network, and the unpacked root is
// reused on the second call.
func TestFromDebsOffline(t *testing.T) {
	cache := t.TempDir()
	if err := os.WriteFile(filepath.Join(cache, listFile), []byte("# roots: hello\nhello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An ar archive with an uncompressed data.tar holding one file.
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "./hello", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi\n"))
	tw.Close()
	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	member := func(name string, data []byte) {
		h := []byte(strings.Repeat(" ", 60))
		copy(h, name)
		copy(h[48:], strconv.Itoa(len(data)))
		copy(h[58:], "`\n")
		ar.Write(h)
		ar.Write(data)
		if len(data)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("data.tar", tarBuf.Bytes())
	if err := os.WriteFile(filepath.Join(cache, "hello_1.0_amd64.deb"), ar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	root, err := FromDebs(context.Background(), cache, []string{"hello"}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "hello")); err != nil || string(b) != "hi\n" {
		t.Fatalf("unpacked hello = %q, %v", b, err)
	}
	log.Reset()
	again, err := FromDebs(context.Background(), cache, []string{"hello"}, &log)
	if err != nil || again != root {
		t.Fatalf("second FromDebs = %s, %v; want %s", again, err, root)
	}
	if strings.Contains(log.String(), "unpacking") {
		t.Errorf("second FromDebs unpacked again: %s", log.String())
	}
	// Two versions of one package are ambiguous.
	os.WriteFile(filepath.Join(cache, "hello_2.0_amd64.deb"), ar.Bytes(), 0o644)
	if _, err := FromDebs(context.Background(), cache, []string{"hello"}, &log); err == nil {
		t.Errorf("FromDebs with two versions = nil error")
	}
}
