package isofs

import (
	"bytes"
	"io"
	"os/exec"
	"testing"
)

// afterSystemArea is a volume whose 32 KiB system area is zeros and whose
// volume descriptors and data are data: the fuzzer spends no time mutating
// a system area the reader never looks at.
type afterSystemArea []byte

func (a afterSystemArea) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off+int64(n) < firstDescriptor {
		p[n] = 0
		n++
	}
	if n == len(p) {
		return n, nil
	}
	m, err := bytes.NewReader(a).ReadAt(p[n:], off+int64(n)-firstDescriptor)
	if err == nil && n+m < len(p) {
		err = io.EOF
	}
	return n + m, err
}

// compact drops an image's system area and trailing zero blocks.
func compact(img []byte) []byte {
	img = img[firstDescriptor:]
	end := len(bytes.TrimRight(img, "\x00"))
	return img[:min(len(img), (end+2047)/2048*2048)]
}

// FuzzOpen feeds corrupt volumes to the reader: it must return errors,
// never panic, loop or allocate beyond the volume.
func FuzzOpen(f *testing.F) {
	if _, err := exec.LookPath("xorriso"); err == nil {
		files := map[string][]byte{
			"tandem/seed.toml":      []byte("[node]\n"),
			"tandem/haproxy.cfg":    []byte("global\n"),
			"tandem/sub/A Long.cfg": bytes.Repeat([]byte("x"), 300),
		}
		for _, args := range [][]string{{"--norock", "-iso-level", "3"}, {"--norock", "-J"}, {"-J", "-R"}} {
			img := mkiso(f, "xorriso", files, append(args, "-no-pad", "-V", "TANDEM")...)
			f.Add(compact(img))
		}
	}
	f.Add([]byte("\x01CD001\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Open(afterSystemArea(data), firstDescriptor+int64(len(data)))
		if err != nil {
			return
		}
		_ = v.Label()
		_, _ = v.ReadFile("tandem/seed.toml")
		n := 0
		_ = walkAll(v, func() bool { n++; return n <= 256 })
	})
}

// walkAll reads every file below the root while more() says so.
func walkAll(v *FS, more func() bool) error {
	var visit func(dir string, depth int) error
	visit = func(dir string, depth int) error {
		list, err := v.ReadDir(dir)
		if err != nil || depth > 16 {
			return err
		}
		for _, e := range list {
			if !more() {
				return nil
			}
			p := e.Name()
			if dir != "." {
				p = dir + "/" + p
			}
			if e.IsDir() {
				_ = visit(p, depth+1)
			} else {
				_, _ = v.ReadFile(p)
			}
		}
		return nil
	}
	return visit(".", 0)
}
