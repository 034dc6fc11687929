package fatfs

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"testing"
)

// FuzzOpen feeds corrupt volumes to the reader: it must return errors,
// never panic or loop.
func FuzzOpen(f *testing.F) {
	if _, err := exec.LookPath("mkfs.fat"); err == nil {
		// A tiny layout (one FAT, a one-sector root) keeps every structure
		// within the first few KiB; the fuzzer is slow with large inputs.
		for _, args := range [][]string{{"1024", "-F", "12"}, {"2100", "-F", "16"}} {
			img := image(f, args[0], append(args[1:], "-s", "1", "-f", "1", "-r", "16", "-n", "TANDEM")...)
			run(f, "mmd", "-i", img, "::tandem")
			put(f, img, "::tandem/seed.toml", []byte("[node]\n"))
			put(f, img, "::tandem/A Long Name.cfg", bytes.Repeat([]byte("x"), 1500))
			data, err := os.ReadFile(img)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data[:16*1024])
		}
	}
	f.Add(make([]byte, 512))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		_ = v.Label()
		n := 0
		_ = fs.WalkDir(v, ".", func(path string, d fs.DirEntry, err error) error {
			if n++; n > 1000 {
				return fs.SkipAll
			}
			if err == nil && !d.IsDir() {
				_, _ = v.ReadFile(path)
			}
			return nil
		})
	})
}
