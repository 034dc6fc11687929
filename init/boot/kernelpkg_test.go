package boot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// debianModules returns the module directory (with modules.dep and
// modules.alias) of the Debian kernel that the meta package depends on,
// e.g. linux-image-cloud-amd64 → linux-image-6.1.0-56-cloud-amd64.
//
// Debian's kernel packages do not ship modules.alias or modules.dep: the
// postinst runs depmod. So the first run downloads the .deb with apt-get,
// extracts it with dpkg-deb and runs `depmod -b DIR VERSION` (kmod package),
// then keeps only the modules.* index files in a cache directory
// ($XDG_CACHE_HOME/tandem or /var/cache/tandem). Later runs use the cache.
func debianModules(t *testing.T, meta string) string {
	t.Helper()
	kernelCacheMu.Lock()
	defer kernelCacheMu.Unlock()
	cache := tandemCacheDir(t)
	home := filepath.Join(cache, "kmod-index", meta)
	if b, err := os.ReadFile(filepath.Join(home, ".ready")); err == nil {
		return filepath.Join(home, strings.TrimSpace(string(b)))
	}
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb", "depmod"} {
		if findTool(tool) == "" {
			t.Skipf("%s not installed (depmod is in Debian's kmod package)", tool)
		}
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	// Other test binaries may fill the same cache at the same time.
	lock, err := os.OpenFile(filepath.Join(home, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(home, ".ready")); err == nil {
		return filepath.Join(home, strings.TrimSpace(string(b)))
	}

	pkg := versionedKernel(t, meta)
	version := strings.TrimPrefix(pkg, "linux-image-")
	work, err := os.MkdirTemp(home, "work-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	run(t, work, findTool("apt-get"), "download", pkg)
	debs, _ := filepath.Glob(filepath.Join(work, pkg+"_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("apt-get download %s: got %v", pkg, debs)
	}
	tree := filepath.Join(work, "root")
	run(t, work, findTool("dpkg-deb"), "-x", debs[0], tree)
	run(t, work, findTool("depmod"), "-b", tree, version)

	dst := filepath.Join(home, version)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(tree, "lib", "modules", version)
	idx, _ := filepath.Glob(filepath.Join(src, "modules.*"))
	for _, f := range idx {
		if err := os.Rename(f, filepath.Join(dst, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".ready"), []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

var kernelCacheMu sync.Mutex

func tandemCacheDir(t *testing.T) string {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "tandem")
	}
	if os.Geteuid() == 0 {
		return "/var/cache/tandem"
	}
	d, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no cache directory")
	}
	return filepath.Join(d, "tandem")
}

// versionedKernel asks apt which versioned image a meta package pulls in.
func versionedKernel(t *testing.T, meta string) string {
	pkg := func() string {
		out, _ := exec.Command(findTool("apt-cache"), "depends", meta).Output()
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
				return f[1]
			}
		}
		return ""
	}
	p := pkg()
	if p == "" { // package lists not fetched yet on a fresh machine
		run(t, "", findTool("apt-get"), "update")
		p = pkg()
	}
	if p == "" {
		t.Fatalf("apt-cache depends %s: no linux-image dependency", meta)
	}
	return p
}

func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	return ""
}

func run(t *testing.T, dir, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
}
