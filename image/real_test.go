package image

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"tandem/image/gpt"
	"tandem/image/pkgroot"
)

// realPkgRoot returns the unpacked Debian inputs, from $TANDEM_DEBS (fetched
// on first use) or an already filled ~/.cache/tandem/debs; otherwise skip.
func realPkgRoot(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TANDEM_DEBS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache/tandem/debs")
		if _, err := os.Stat(filepath.Join(dir, "packages.txt")); err != nil {
			t.Skip("no Debian package cache: set TANDEM_DEBS to a cache directory to run")
		}
	}
	root, err := pkgroot.FromDebs(context.Background(), dir, pkgroot.Roots(""), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func buildHello(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build hello: %v\n%s", err, out)
	}
	return bin
}

func realBuild(t *testing.T, pkg, tandem, out string) *Result {
	t.Helper()
	res, err := Build(Config{PkgRoot: pkg, Tandem: tandem, Out: out, Modules: DefaultModules,
		Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRealDebianBuild(t *testing.T) {
	pkg := realPkgRoot(t)
	hello := buildHello(t)
	a, b := t.TempDir(), t.TempDir()
	start := time.Now()
	res := realBuild(t, pkg, hello, a)
	t.Logf("warm build %.1fs: %+v", time.Since(start).Seconds(), res)
	realBuild(t, pkg, hello, b)
	sameFiles(t, a, b)
	for _, p := range res.Parts {
		if p.Name == "initramfs" && p.Size > 25<<20 {
			t.Errorf("initramfs is %d bytes, want under 25 MiB", p.Size)
		}
	}
	disk := filepath.Join(a, DiskFile)
	if _, err := exec.LookPath("sgdisk"); err == nil {
		out, err := exec.Command("sgdisk", "-v", disk).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No problems found") {
			t.Errorf("sgdisk -v: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("fsck.fat"); err == nil {
		part := extractPartition(t, disk)
		if out, err := exec.Command("fsck.fat", "-n", part).CombinedOutput(); err != nil {
			t.Errorf("fsck.fat -n: %v\n%s", err, out)
		}
	}
	compareWithDepmod(t, pkg, res.KernelVersion, filepath.Join(a, InitrdFile))
}

func extractPartition(t *testing.T, disk string) string {
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := gpt.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "part.img")
	out, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.NewSectionReader(f, l.PartStart, l.PartSize)); err != nil {
		t.Fatal(err)
	}
	return part
}

// compareWithDepmod checks our modules.dep lines against depmod's view of
// the full tree (same dependency sets; depmod resolves symbols, we read
// modinfo depends=, which the kernel build derives from the same symbols).
func compareWithDepmod(t *testing.T, pkg, ver, initrd string) {
	if _, err := exec.LookPath("depmod"); err != nil {
		t.Log("depmod not installed; skipping the cross-check")
		return
	}
	out, err := exec.Command("depmod", "-b", pkg, "-n", ver).Output()
	if err != nil {
		t.Fatalf("depmod -n: %v", err)
	}
	theirs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.HasSuffix(k, ".ko") {
			theirs[k] = sortedFields(v)
		}
	}
	ours := initrdFile(t, initrd, "modules.dep")
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(ours), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n++
		if got, want := sortedFields(v), theirs[k]; got != want {
			t.Errorf("modules.dep %s: ours %q, depmod %q", k, got, want)
		}
	}
	if n < 10 {
		t.Errorf("only %d modules.dep lines", n)
	}
}

func sortedFields(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, " ")
}
