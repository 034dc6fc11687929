package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/klauspost/compress/zstd"

	"tandem/image/pkgroot"
)

// The targets for the appliance image.
const (
	targetWarm   = 15 * time.Second
	targetInitrd = 25_000_000 // bytes (25 MB), zstd-compressed, HAProxy in it
)

// warmRuns is how many warm builds the median is taken over.
const warmRuns = 3

// inputFigures are the measurements for one package-root input.
type inputFigures struct {
	skipped   string        // why the column is empty
	rootCold  time.Duration // package root only, empty cache
	rootWarm  time.Duration // package root only, filled cache
	cold      time.Duration // package root + image build, empty cache
	warm      time.Duration // median over warmRuns, filled cache
	offline   bool          // the warm package root was made without network
	kernel    string
	parts     map[string]int64 // output name → bytes as written
	diskAlloc int64            // tandem.img blocks actually allocated
	diskZst   int64            // tandem.img through zstd
	ociZst    int64            // tandem-oci.tar through zstd
	root      treeSize         // the full package root, tar+zstd
}

// BenchmarkImage builds the appliance from both package-root inputs and
// prints their figures side by side: cold and warm build time, the size of
// every output, and the size of the full Debian package root the image is
// cut from. The .deb input always runs (cold means a fresh cache directory:
// apt-get download of about 36 MB). The mkosi input is built (cold, then
// warm and offline) only with TANDEM_MKOSI=1, as root; otherwise an existing
// mkosi.output/tandem is measured without build times, or the column is
// skipped. Only a failed build fails the benchmark; targets are reported.
//
//	go test -count=1 -timeout 60m -run '^$' -bench BenchmarkImage -benchtime 1x ./image/
func BenchmarkImage(b *testing.B) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		b.Skip("apt-get not installed: the .deb input needs it")
	}
	modRoot := moduleRoot(b)
	tandem := buildTandem(b, modRoot)
	rootfs := filepath.Join(modRoot, "rootfs")
	if _, err := os.Stat(rootfs); err != nil {
		rootfs = ""
	}
	debs := benchDebs(b, tandem, rootfs)
	mk := benchMkosi(b, modRoot, tandem, rootfs)

	st, err := os.Stat(tandem)
	if err != nil {
		b.Fatal(err)
	}
	// Printed, not logged: the testing package cuts benchmark logs to 10 lines.
	fmt.Print(figuresTable(debs, mk, st.Size()))

	b.ReportMetric(0, "ns/op") // one run of everything: the figures are below
	b.ReportMetric(debs.cold.Seconds(), "cold-s")
	b.ReportMetric(debs.warm.Seconds(), "warm-s")
	b.ReportMetric(float64(debs.parts[InitrdFile])/1e6, "initrd-MB")
	b.ReportMetric(float64(debs.diskZst)/1e6, "disk.zst-MB")
}

// benchDebs measures the .deb input: a cold build from an empty cache, then
// warm builds from the same cache.
func benchDebs(b *testing.B, tandem, rootfs string) *inputFigures {
	f := &inputFigures{parts: map[string]int64{}}
	cache := filepath.Join(b.TempDir(), "debs")
	out := filepath.Join(b.TempDir(), "out")
	var log bytes.Buffer
	fromDebs := func() string {
		root, err := pkgroot.FromDebs(context.Background(), cache, pkgroot.Roots(""), &log)
		if err != nil {
			b.Fatalf("%v\n%s", err, log.String())
		}
		return root
	}

	start := time.Now()
	root := fromDebs()
	f.rootCold = time.Since(start)
	benchBuild(b, f, root, tandem, rootfs, out)
	f.cold = time.Since(start)

	var warm []time.Duration
	for range warmRuns {
		start := time.Now()
		root = fromDebs()
		f.rootWarm = time.Since(start)
		benchBuild(b, f, root, tandem, rootfs, out)
		warm = append(warm, time.Since(start))
	}
	f.warm = median(warm)
	f.offline = true // a warm FromDebs reads only the cache: no apt, no network
	measureOutputs(b, f, root, out)
	return f
}

// benchMkosi measures the mkosi input, or says why it cannot.
func benchMkosi(b *testing.B, modRoot, tandem, rootfs string) *inputFigures {
	f := &inputFigures{parts: map[string]int64{}}
	out := filepath.Join(b.TempDir(), "out")
	if os.Getenv("TANDEM_MKOSI") != "1" {
		root := filepath.Join(modRoot, "mkosi.output", "tandem")
		if _, err := os.Stat(filepath.Join(root, "usr/sbin/haproxy")); err != nil {
			f.skipped = "skipped: no mkosi.output/tandem; TANDEM_MKOSI=1 builds it (root, mkosi 14, minutes)"
			return f
		}
		f.skipped = "mkosi build not timed (existing mkosi.output/tandem); TANDEM_MKOSI=1 times a cold and a warm build"
		benchBuild(b, f, root, tandem, rootfs, out)
		var warm []time.Duration
		for range warmRuns {
			start := time.Now()
			benchBuild(b, f, root, tandem, rootfs, out)
			warm = append(warm, time.Since(start))
		}
		f.warm = median(warm)
		measureOutputs(b, f, root, out)
		return f
	}
	if os.Geteuid() != 0 {
		b.Fatal("TANDEM_MKOSI=1 needs root (mkosi 14 uses mounts and systemd-nspawn)")
	}
	if _, err := exec.LookPath("mkosi"); err != nil {
		b.Fatal("TANDEM_MKOSI=1 but mkosi is not installed (apt-get install --no-install-recommends mkosi)")
	}
	// A private output and package cache: a truly cold build that leaves
	// the repository's mkosi.output/ and mkosi.cache/ alone.
	work := b.TempDir()
	root := filepath.Join(work, "tandem")
	mkosi := func(offline bool) time.Duration {
		args := []string{"--nspawn-keep-unit", "--force", "--output", root, "--cache", filepath.Join(work, "cache"), "build"}
		cmd := exec.Command("mkosi", args...)
		if offline {
			// No network at all: only loopback in a fresh namespace.
			cmd = exec.Command("unshare", append([]string{"--net", "mkosi"}, args...)...)
		}
		cmd.Dir = modRoot
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", cmd.Args, err, tail(out, 40))
		}
		return time.Since(start)
	}
	// mkosi 14 only reuses its incremental tree when a pre-dev cache
	// exists too, which it never makes without a build script.
	if err := os.WriteFile(root+".cache-pre-dev", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	f.rootCold = mkosi(false)
	start := time.Now()
	benchBuild(b, f, root, tandem, rootfs, out)
	f.cold = f.rootCold + time.Since(start)

	f.rootWarm = mkosi(true)
	f.offline = true
	var warm []time.Duration
	for range warmRuns {
		start := time.Now()
		benchBuild(b, f, root, tandem, rootfs, out)
		warm = append(warm, f.rootWarm+time.Since(start))
	}
	f.warm = median(warm)
	measureOutputs(b, f, root, out)
	return f
}

func benchBuild(b *testing.B, f *inputFigures, root, tandem, rootfs, out string) {
	res, err := Build(Config{PkgRoot: root, Tandem: tandem, RootFS: rootfs, Out: out,
		Modules: DefaultModules, Cmdline: DefaultCmdline, Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		b.Fatalf("build from %s: %v", root, err)
	}
	f.kernel = res.KernelVersion
	for _, p := range res.Parts {
		f.parts[filepath.Base(p.Path)] = p.Size
	}
}

// measureOutputs fills in the compressed sizes after the timed builds.
func measureOutputs(b *testing.B, f *inputFigures, root, out string) {
	disk := filepath.Join(out, DiskFile)
	st, err := os.Stat(disk)
	if err != nil {
		b.Fatal(err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		f.diskAlloc = sys.Blocks * 512
	}
	if f.diskZst, err = zstdFileSize(disk); err != nil {
		b.Fatal(err)
	}
	if f.ociZst, err = zstdFileSize(filepath.Join(out, OCIFile)); err != nil {
		b.Fatal(err)
	}
	if f.root, err = tarZstdSize(root); err != nil {
		b.Fatal(err)
	}
}

// figuresTable lays out both inputs side by side.
func figuresTable(debs, mk *inputFigures, tandemSize int64) string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "tandem image benchmark: /init is the real tandem binary (%s); kernel %s\n",
		mib(tandemSize), debs.kernel)
	fmt.Fprintf(&buf, "zstd = klauspost/compress SpeedDefault (about zstd -3); initrd.img is as built (zstd, cpio inside)\n\n")
	w := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%-32s\t.deb cache\tmkosi\t\n", "")
	row := func(name string, get func(*inputFigures) string) {
		m := "-"
		if mk.parts[InitrdFile] > 0 {
			m = get(mk)
		}
		// Padded labels: right alignment then leaves them flush left.
		fmt.Fprintf(w, "%-32s\t%s\t%s\t\n", name, get(debs), m)
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	row("package root, cold (empty cache)", func(f *inputFigures) string { return dur(f.rootCold) })
	row("package root, warm", func(f *inputFigures) string {
		if f.rootWarm == 0 {
			return "-"
		}
		s := fmt.Sprintf("%.2f s", f.rootWarm.Seconds())
		if f.offline {
			s += " (no network)"
		}
		return s
	})
	row("cold build (root + image)", func(f *inputFigures) string { return dur(f.cold) })
	row(fmt.Sprintf("warm build (median of %d)", warmRuns), func(f *inputFigures) string { return dur(f.warm) })
	row("vmlinuz", func(f *inputFigures) string { return mib(f.parts[KernelFile]) })
	row("initrd.img", func(f *inputFigures) string { return mib(f.parts[InitrdFile]) })
	row("tandem.img raw / allocated", func(f *inputFigures) string {
		return mib(f.parts[DiskFile]) + " / " + mib(f.diskAlloc)
	})
	row("tandem.img zstd", func(f *inputFigures) string { return mib(f.diskZst) })
	row("tandem-oci.tar / zstd", func(f *inputFigures) string {
		return mib(f.parts[OCIFile]) + " / " + mib(f.ociZst)
	})
	row("full package root, files", func(f *inputFigures) string {
		return fmt.Sprintf("%d, %s", f.root.entries, mib(f.root.raw))
	})
	row("full package root, tar.zst", func(f *inputFigures) string { return mib(f.root.zst) })
	row("initrd.img / full root tar.zst", func(f *inputFigures) string {
		return fmt.Sprintf("%.1f %%", 100*float64(f.parts[InitrdFile])/float64(f.root.zst))
	})
	w.Flush()
	if mk.skipped != "" {
		fmt.Fprintf(&buf, "mkosi: %s\n", mk.skipped)
	}
	for _, c := range []struct {
		name string
		f    *inputFigures
	}{{".deb cache", debs}, {"mkosi", mk}} {
		if c.f.parts[InitrdFile] == 0 {
			continue
		}
		fmt.Fprintf(&buf, "targets (%s): warm build %.1f s < %.0f s: %s; initrd %.1f MB < 25 MB: %s\n",
			c.name, c.f.warm.Seconds(), targetWarm.Seconds(), met(c.f.warm < targetWarm),
			float64(c.f.parts[InitrdFile])/1e6, met(c.f.parts[InitrdFile] < targetInitrd))
	}
	return buf.String()
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// countWriter counts what goes through it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func zstdFileSize(file string) (int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var c countWriter
	zw, err := zstd.NewWriter(&c, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(zw, f); err != nil {
		return 0, fmt.Errorf("zstd %s: %w", file, err)
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return c.n, nil
}

// treeSize is a directory tree's size as files and as a tar.zst.
type treeSize struct {
	entries int
	raw     int64 // bytes in regular files (hard links once)
	zst     int64
}

// tarZstdSize archives root (regular files, directories, symlinks; hard
// links as links) and returns the compressed size without storing it.
func tarZstdSize(root string) (treeSize, error) {
	var ts treeSize
	var c countWriter
	zw, err := zstd.NewWriter(&c, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return ts, err
	}
	tw := tar.NewWriter(zw)
	seen := map[[2]uint64]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return nil // sockets and the like: not part of a package root
		}
		hdr.Name = filepath.ToSlash(rel)
		ts.entries++
		if sys, ok := info.Sys().(*syscall.Stat_t); ok && info.Mode().IsRegular() && sys.Nlink > 1 {
			key := [2]uint64{uint64(sys.Dev), sys.Ino}
			if first, ok := seen[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				return tw.WriteHeader(hdr)
			}
			seen[key] = hdr.Name
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		ts.raw += info.Size()
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return ts, fmt.Errorf("tar %s: %w", root, err)
	}
	if err := tw.Close(); err != nil {
		return ts, err
	}
	if err := zw.Close(); err != nil {
		return ts, err
	}
	ts.zst = c.n
	return ts, nil
}

// moduleRoot is the directory of go.mod (tests run in the package's).
func moduleRoot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		b.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// buildTandem builds the real appliance binary, the /init of the image.
func buildTandem(b *testing.B, modRoot string) string {
	bin := filepath.Join(b.TempDir(), "tandem")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/tandem")
	cmd.Dir = modRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/tandem: %v\n%s", err, out)
	}
	return bin
}

// tail returns the last n lines of out, for error messages.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
