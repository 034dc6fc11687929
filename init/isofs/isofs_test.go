package isofs

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

const (
	longName = "A Rather Long File Name That Exceeds Thirty One Characters.cfg"
	nested   = "tandem/sub/deeper/nested-file.txt"
)

// tree is the test volume's files, by slash path.
func tree(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"tandem/seed.toml":   []byte("[node]\nname = \"haproxy1\"\n"),
		"tandem/haproxy.cfg": []byte("global\n  daemon\n"),
		"tandem/" + longName: []byte("long\n"),
		nested:               random(t, 300_000), // spans many blocks
		"README":             []byte("no extension\n"),
	}
}

// mkiso writes files into a folder and makes an ISO image of it with tool
// ("xorriso" runs as "xorriso -as mkisofs"); args come before -o.
func mkiso(t testing.TB, tool string, files map[string][]byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for name, data := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(dir, "volume.iso")
	cmd := append([]string{tool}, args...)
	if tool == "xorriso" {
		cmd = append([]string{tool, "-as", "mkisofs"}, args...)
	}
	cmd = append(cmd, "-quiet", "-o", img, src)
	if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func open(t testing.TB, img []byte) *FS {
	t.Helper()
	f, err := Open(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatalf("Open() = %v", err)
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
	files := tree(t)
	for _, tc := range []struct {
		name   string
		tool   string
		args   []string
		naming naming
		// rename maps a file of tree to the name the variant stores.
		rename map[string]string
	}{
		{name: "xorriso plain level 3", tool: "xorriso", args: []string{"--norock", "-iso-level", "3"}, naming: plainNames,
			rename: map[string]string{"tandem/" + longName: "tandem/a_rather_long_file_name_tha.cfg", nested: "tandem/sub/deeper/nested_file.txt", "README": "readme"}},
		{name: "xorriso joliet", tool: "xorriso", args: []string{"--norock", "-J"}, naming: jolietNames},
		{name: "xorriso rock ridge", tool: "xorriso", args: []string{"-R"}, naming: rockRidgeNames},
		{name: "xorriso joliet and rock ridge", tool: "xorriso", args: []string{"-J", "-R"}, naming: rockRidgeNames},
		{name: "genisoimage joliet", tool: "genisoimage", args: []string{"-J"}, naming: jolietNames},
		{name: "genisoimage rock ridge", tool: "genisoimage", args: []string{"-r"}, naming: rockRidgeNames},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := open(t, mkiso(t, tc.tool, files, append(tc.args, "-V", "TANDEM")...))
			if f.Label() != "TANDEM" {
				t.Errorf("Label() = %q, want TANDEM", f.Label())
			}
			if f.naming != tc.naming {
				t.Errorf("naming = %d, want %d", f.naming, tc.naming)
			}
			var paths []string
			for name, want := range files {
				if n, ok := tc.rename[name]; ok {
					name = n
				}
				paths = append(paths, name)
				for _, p := range []string{name, strings.ToUpper(name)} {
					got, err := f.ReadFile(p)
					if err != nil {
						t.Errorf("ReadFile(%q) = %v", p, err)
					} else if !bytes.Equal(got, want) {
						t.Errorf("ReadFile(%q) = %d bytes, want the %d bytes written", p, len(got), len(want))
					}
				}
			}
			if got, want := dirNames(t, f, "TANDEM"), "haproxy.cfg,seed.toml,sub"; !strings.HasSuffix(got, want) {
				t.Errorf("ReadDir(TANDEM) = %s, want the long name then %s", got, want)
			}
			if _, err := f.Open("tandem/missing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing) = %v, want ErrNotExist", err)
			}
			if _, err := f.Open("README/x"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(README/x) = %v, want ErrNotExist", err)
			}
			if err := fstest.TestFS(f, paths...); err != nil {
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

// TestLevel1 shows what a plain level 1 volume (mkisofs' default without
// Rock Ridge or Joliet) offers: 8.3 names, so seed.toml is stored as
// seed.tom.
func TestLevel1(t *testing.T) {
	f := open(t, mkiso(t, "xorriso", tree(t), "--norock", "-V", "TANDEM"))
	if got := dirNames(t, f, "tandem"); got != "a_rather.cfg,haproxy.cfg,seed.tom,sub" {
		t.Errorf("ReadDir(tandem) = %s", got)
	}
}

func TestLabel(t *testing.T) {
	files := map[string][]byte{"x": []byte("x")}
	for _, tc := range []struct {
		tool string
		args []string
		want string
	}{
		{"xorriso", []string{"-J", "-V", "tandem"}, "tandem"},
		{"xorriso", []string{"-V", "Tandem Seed"}, "Tandem Seed"},
		{"genisoimage", []string{"-V", ""}, ""},
	} {
		if got := open(t, mkiso(t, tc.tool, files, tc.args...)).Label(); got != tc.want {
			t.Errorf("%v: Label() = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestContinuationArea uses a Rock Ridge name too long for its directory
// record, which makes xorriso put the rest in a SUSP continuation area.
func TestContinuationArea(t *testing.T) {
	long := strings.Repeat("very-long-name-", 16) + "end.cfg" // 247 bytes
	f := open(t, mkiso(t, "xorriso", map[string][]byte{"tandem/" + long: []byte("ce\n")}, "-R", "-V", "TANDEM"))
	got, err := f.ReadFile("tandem/" + strings.ToUpper(long))
	if err != nil || string(got) != "ce\n" {
		t.Fatalf("ReadFile(long name) = %q, %v", got, err)
	}
	_, buf := rawDir(t, f, "tandem")
	if !bytes.Contains(buf, []byte("CE\x1c\x01")) {
		t.Errorf("the directory has no CE entry: the test does not exercise continuation areas")
	}
}

// TestRelocatedDirectory uses genisoimage, which moves directories deeper
// than eight levels to rr_moved and links them back with Rock Ridge CL.
func TestRelocatedDirectory(t *testing.T) {
	deep := "tandem/1/2/3/4/5/6/7/8/9/seed.toml"
	f := open(t, mkiso(t, "genisoimage", map[string][]byte{deep: []byte("deep\n")}, "-R", "-V", "TANDEM"))
	got, err := f.ReadFile(deep)
	if err != nil || string(got) != "deep\n" {
		t.Fatalf("ReadFile(%s) = %q, %v", deep, got, err)
	}
	if got := dirNames(t, f, "tandem/1/2/3/4/5/6/7/8"); got != "9" {
		t.Errorf("ReadDir(.../8) = %s, want 9", got)
	}
	if got := dirNames(t, f, "rr_moved"); got != "" {
		t.Errorf("ReadDir(rr_moved) = %q: the relocated directory is listed twice", got)
	}
}

func TestNotISO(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":  nil,
		"zeros":  make([]byte, 64<<10),
		"random": random(t, 64<<10),
		"short":  append(make([]byte, firstDescriptor), "\x01CD001"...),
	} {
		if _, err := Open(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrNotISO) {
			t.Errorf("Open(%s) = %v, want ErrNotISO", name, err)
		}
	}
}

// TestTruncated cuts a real image short: reads must fail, not panic.
func TestTruncated(t *testing.T) {
	img := mkiso(t, "xorriso", tree(t), "-J", "-R", "-V", "TANDEM")
	opened := 0
	for _, n := range []int{firstDescriptor + 2048, firstDescriptor + 3*2048, 30 * 2048, 60 * 2048, 100 * 2048} {
		f, err := Open(bytes.NewReader(img[:n]), int64(n))
		if err != nil {
			continue
		}
		opened++
		if _, err := f.ReadFile(nested); err == nil {
			t.Errorf("ReadFile(%s) on an image cut at %d bytes succeeded", nested, n)
		}
	}
	if opened == 0 {
		t.Errorf("no cut image opened: the test reads nothing")
	}
}
