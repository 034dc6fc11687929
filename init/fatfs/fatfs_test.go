package fatfs

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// needTools skips when mtools or dosfstools are missing; CI has both.
func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mkfs.fat", "mcopy", "mmd", "mdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// image builds a FAT image with mkfs.fat; args go to mkfs.fat before the
// size, e.g. "-F", "32".
func image(t testing.TB, kib string, args ...string) string {
	t.Helper()
	needTools(t)
	img := filepath.Join(t.TempDir(), "fat.img")
	run(t, "mkfs.fat", append(append([]string{"-C"}, args...), img, kib)...)
	return img
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// put copies data into the image at the mtools path dst (e.g. "::a/b").
func put(t testing.TB, img, dst string, data []byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "mcopy", "-i", img, src, dst)
}

func openImage(t testing.TB, img string) *FS {
	t.Helper()
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Open(%s) = %v", img, err)
	}
	return f
}

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVariants(t *testing.T) {
	for _, tc := range []struct {
		want Type
		kib  string
		args []string
	}{
		{FAT12, "2048", []string{"-F", "12"}},
		{FAT16, "16384", []string{"-F", "16"}},
		// -s 1 keeps the cluster count above FAT32's minimum on a small image.
		{FAT32, "40000", []string{"-F", "32", "-s", "1"}},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			img := image(t, tc.kib, append(tc.args, "-n", "TANDEM")...)
			seed := []byte("[node]\nname = \"haproxy1\"\n")
			big := random(t, 300_000)
			run(t, "mmd", "-i", img, "::tandem", "::tandem/sub", "::tandem/sub/deeper")
			put(t, img, "::tandem/seed.toml", seed)
			put(t, img, "::tandem/HAProxy Config With A Long Name.cfg", []byte("global\n"))
			put(t, img, "::tandem/sub/deeper/café-ü.bin", big)
			put(t, img, "::README", []byte("short name\n"))

			f := openImage(t, img)
			if f.Type() != tc.want {
				t.Errorf("Type() = %v, want %v", f.Type(), tc.want)
			}
			if f.Label() != "TANDEM" {
				t.Errorf("Label() = %q, want TANDEM", f.Label())
			}
			for name, want := range map[string][]byte{
				"tandem/seed.toml":                           seed,
				"TANDEM/SEED.TOML":                           seed, // FAT matches names case-insensitively
				"tandem/haproxy config with a long name.cfg": []byte("global\n"),
				"tandem/sub/deeper/café-ü.bin":               big,
				"README":                                     []byte("short name\n"),
			} {
				got, err := fs.ReadFile(f, name)
				if err != nil {
					t.Errorf("ReadFile(%q) = %v", name, err)
				} else if !bytes.Equal(got, want) {
					t.Errorf("ReadFile(%q) = %d bytes, want %d bytes equal to what mcopy wrote", name, len(got), len(want))
				}
			}
			names := dirNames(t, f, "tandem")
			if want := "HAProxy Config With A Long Name.cfg,seed.toml,sub"; names != want {
				t.Errorf("ReadDir(tandem) = %s, want %s", names, want)
			}
			if _, err := f.Open("tandem/missing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing) = %v, want ErrNotExist", err)
			}
			if _, err := f.Open("README/x"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(README/x) = %v, want ErrNotExist", err)
			}
			if err := fstest.TestFS(f, "tandem/seed.toml", "tandem/sub/deeper/café-ü.bin", "README"); err != nil {
				t.Errorf("fstest.TestFS: %v", err)
			}
		})
	}
}

func dirNames(t *testing.T, f *FS, dir string) string {
	t.Helper()
	list, err := f.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir(%s) = %v", dir, err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return strings.Join(names, ",")
}

// TestFragmented makes a file whose clusters are not contiguous: copy a,
// copy b, delete a, then copy c, which fills a's hole and continues after b.
func TestFragmented(t *testing.T) {
	img := image(t, "2048", "-F", "12", "-s", "1", "-n", "TANDEM")
	put(t, img, "::a", random(t, 10*512))
	put(t, img, "::b", random(t, 3*512))
	run(t, "mdel", "-i", img, "::a")
	c := random(t, 40*512+17)
	put(t, img, "::c", c)

	f := openImage(t, img)
	got, err := f.ReadFile("c")
	if err != nil || !bytes.Equal(got, c) {
		t.Fatalf("ReadFile(c) = %d bytes, %v; want the %d bytes written", len(got), err, len(c))
	}
	root, err := f.readRoot()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := root.lookup("c")
	chain, err := f.chain(e.cluster, 41, 41)
	if err != nil {
		t.Fatal(err)
	}
	gaps := 0
	for i := 1; i < len(chain); i++ {
		if chain[i] != chain[i-1]+1 {
			gaps++
		}
	}
	if gaps == 0 {
		t.Errorf("chain of c = %v is contiguous; the test did not make a fragmented file", chain)
	}
}

func TestNotFAT(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":  nil,
		"zeros":  make([]byte, 4096),
		"random": random(t, 4096),
	} {
		if _, err := Open(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrNotFAT) {
			t.Errorf("Open(%s) = %v, want ErrNotFAT", name, err)
		}
	}
}

func TestLowercaseLabelAndNoLabel(t *testing.T) {
	img := image(t, "1024", "-n", "tandem")
	if got := openImage(t, img).Label(); !strings.EqualFold(got, "tandem") {
		t.Errorf("Label() = %q, want tandem in any case", got)
	}
	img = image(t, "1024")
	if got := openImage(t, img).Label(); got != "" {
		t.Errorf("Label() of an unlabelled volume = %q, want empty", got)
	}
}

// TestTruncated cuts a real image short: reads must fail, not panic.
func TestTruncated(t *testing.T) {
	img := image(t, "2048", "-n", "TANDEM")
	put(t, img, "::big", random(t, 200_000))
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{600, 4096, 40_000, 100_000} {
		f, err := Open(bytes.NewReader(data[:n]), int64(n))
		if err != nil {
			continue
		}
		if _, err := f.ReadFile("big"); err == nil {
			t.Errorf("ReadFile(big) on an image cut at %d bytes succeeded", n)
		}
	}
}
