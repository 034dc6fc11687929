package image

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"tandem/image/cpio"
	"tandem/image/elfdeps"
	"tandem/image/fat"
	"tandem/image/gpt"
	"tandem/image/internal/fakeelf"
	"tandem/image/oci"
	"tandem/init/fatfs"
)

const fakeVersion = "6.1.0-test"

// fakePkgRoot lays out a small package root: the host's /usr/bin/true and
// its libraries standing in for HAProxy, a fake kernel and fake modules.
func fakePkgRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	put := func(p string, data []byte, perm os.FileMode) {
		t.Helper()
		dst := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, perm); err != nil {
			t.Fatal(err)
		}
	}
	clos, err := elfdeps.Find("/", "/usr/bin/true")
	if err != nil {
		t.Skipf("host has no usable /usr/bin/true: %v", err)
	}
	for l, target := range clos.Symlinks {
		os.MkdirAll(filepath.Join(root, filepath.Dir(l)), 0o755)
		os.Symlink(target, filepath.Join(root, l))
	}
	for _, f := range clos.Files {
		b, err := os.ReadFile(filepath.Join("/", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "usr/bin/true" {
			f = "usr/sbin/haproxy"
		}
		put(f, b, 0o755)
	}
	put("boot/vmlinuz-"+fakeVersion, bytes.Repeat([]byte("kernel"), 1000), 0o644)
	mod := "lib/modules/" + fakeVersion + "/kernel/"
	put(mod+"fs/fat/vfat.ko", fakeelf.Module("alias=fs-vfat", "depends=fat", "name=vfat"), 0o644)
	put(mod+"fs/fat/fat.ko", fakeelf.Module("depends=", "name=fat"), 0o644)
	put(mod+"drivers/net/virtio_net.ko", fakeelf.Module("alias=virtio:d00000001v*", "depends=", "name=virtio_net"), 0o644)
	put("lib/modules/"+fakeVersion+"/modules.builtin", []byte("kernel/net/packet/af_packet.ko\n"), 0o644)
	put(systemdBoot, []byte("MZ systemd-boot stand-in"), 0o644)
	put("usr/share/ca-certificates/mozilla/B.crt", []byte("-----B-----\n"), 0o644)
	put("usr/share/ca-certificates/mozilla/A.crt", []byte("-----A-----"), 0o644)
	return root
}

func buildOnce(t *testing.T, pkgRoot, out string) *Result {
	t.Helper()
	rootfs := t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "etc/hostname"), []byte("tandem\n"), 0o664)
	tandem := filepath.Join(t.TempDir(), "tandem")
	os.WriteFile(tandem, []byte("\x7fELF not really"), 0o700)
	res, err := Build(Config{
		PkgRoot: pkgRoot, Tandem: tandem, RootFS: rootfs, Out: out,
		Modules: []string{"vfat", "virtio_net", "af_packet", "e1000"},
		Epoch:   time.Unix(1700000000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{KernelFile, InitrdFile, DiskFile, OCIFile} {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds from the same inputs", f)
		}
	}
}

func TestBuildSyntheticReproducible(t *testing.T) {
	pkg := fakePkgRoot(t)
	a, b := t.TempDir(), t.TempDir()
	res := buildOnce(t, pkg, a)
	buildOnce(t, pkg, b)
	sameFiles(t, a, b)
	if res.Modules != 3 || strings.Join(res.Builtin, ",") != "af_packet" || strings.Join(res.Missing, ",") != "e1000" {
		t.Errorf("Result = %+v, want 3 modules, af_packet built in, e1000 missing", res)
	}

	// The initramfs reads back with the root we expect.
	f, err := os.Open(filepath.Join(a, InitrdFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	recs, err := cpio.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]cpio.Record{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	// On a merged-/usr host the fake root's lib is a symlink to usr/lib.
	modDir, _, err := elfdeps.Resolve(pkg, "/lib/modules/"+fakeVersion)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(cpio.Record) bool{
		"init":                              func(r cpio.Record) bool { return r.Mode == 0o100755 },
		"usr/sbin/haproxy":                  func(r cpio.Record) bool { return r.Mode == 0o100755 },
		"dev/console":                       func(r cpio.Record) bool { return r.Major == 5 && r.Minor == 1 },
		"etc/hostname":                      func(r cpio.Record) bool { return r.Mode == 0o100644 && string(r.Data) == "tandem\n" },
		"etc/ssl/certs/ca-certificates.crt": func(r cpio.Record) bool { return string(r.Data) == "-----A-----\n-----B-----\n" },
		modDir + "/modules.dep": func(r cpio.Record) bool {
			return string(r.Data) == "kernel/drivers/net/virtio_net.ko:\nkernel/fs/fat/fat.ko:\nkernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"
		},
		modDir + "/modules.alias": func(r cpio.Record) bool { return strings.Contains(string(r.Data), "alias fs-vfat vfat\n") },
		"usr/bin/tandem":          func(r cpio.Record) bool { return string(r.Data) == "../../init" },
	}
	for name, ok := range checks {
		r, found := byName[name]
		if !found || !ok(r) {
			t.Errorf("initramfs %s = %+v (found %v), not as expected", name, r.Header, found)
		}
	}
	var libc bool
	for n := range byName {
		libc = libc || strings.HasSuffix(n, "/libc.so.6")
	}
	if !libc {
		t.Errorf("initramfs has no libc.so.6")
	}

	// The disk has the boot files in its FAT partition.
	disk, err := os.Open(filepath.Join(a, DiskFile))
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	l, err := gpt.Read(disk)
	if err != nil {
		t.Fatal(err)
	}
	if l.PartType != gpt.ESP || l.PartStart != 1<<20 {
		t.Errorf("partition = %+v, want ESP at 1 MiB", l)
	}
	vol, err := fat.Read(disk, l.PartStart)
	if err != nil {
		t.Fatal(err)
	}
	if vol.Label != Label {
		t.Errorf("label = %q, want %q", vol.Label, Label)
	}
	for _, p := range []string{BootLoaderPath, "vmlinuz", "initrd.img", "loader/loader.conf", "loader/entries/tandem.conf", "tandem"} {
		if _, ok := vol.Tree.Get(p); !ok {
			t.Errorf("FAT partition lacks %s", p)
		}
	}
	if e, _ := vol.Tree.Get("loader/entries/tandem.conf"); e == nil || !strings.Contains(string(e.Data), "options "+DefaultCmdline+"\n") {
		t.Errorf("loader entry = %+v", e)
	}

	// The OCI archive has the same root, entrypoint /init.
	img, err := oci.Inspect(filepath.Join(a, OCIFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(img.Config.Config.Entrypoint, " ") != "/init" || img.Files["usr/sbin/haproxy"] == nil {
		t.Errorf("OCI config %+v, files %d", img.Config.Config, len(img.Files))
	}
}

func TestSeed(t *testing.T) {
	pkg := fakePkgRoot(t)
	out := t.TempDir()
	buildOnce(t, pkg, out)
	// The example seed names its HAProxy configuration by relative path.
	seedFile, err := filepath.Abs("../configs/haproxy1.toml")
	if err != nil {
		t.Fatal(err)
	}
	seedBody, err := os.ReadFile(seedFile)
	if err != nil {
		t.Skipf("example seed missing: %v", err)
	}
	cfgBody, _ := os.ReadFile(filepath.Join(filepath.Dir(seedFile), "haproxy.cfg"))
	extra := filepath.Join(t.TempDir(), "site.pem")
	os.WriteFile(extra, []byte("PEM"), 0o600)

	disk := filepath.Join(out, DiskFile)
	before, _ := os.ReadFile(disk)
	copyDisk := filepath.Join(t.TempDir(), "copy.img")
	os.WriteFile(copyDisk, before, 0o644)
	epoch := time.Unix(1700000000, 0)
	res, err := Seed(disk, seedFile, []string{extra}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	want := "tandem/seed.toml tandem/haproxy.cfg tandem/site.pem"
	if got := strings.Join(res.Files, " "); got != want {
		t.Errorf("Seed wrote %q, want %q", got, want)
	}
	if _, err := Seed(copyDisk, seedFile, []string{extra}, epoch); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(disk)
	b, _ := os.ReadFile(copyDisk)
	if !bytes.Equal(a, b) {
		t.Errorf("seeding two copies of one image gave different bytes")
	}
	f, _ := os.Open(disk)
	defer f.Close()
	l, err := gpt.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := gpt.Read(bytes.NewReader(before))
	if l != orig {
		t.Errorf("GPT after seed = %+v, want unchanged %+v", l, orig)
	}
	vol, err := fat.Read(f, l.PartStart)
	if err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{"tandem/seed.toml": string(seedBody), "tandem/haproxy.cfg": string(cfgBody),
		"tandem/site.pem": "PEM", "vmlinuz": strings.Repeat("kernel", 1000)} {
		if e, ok := vol.Tree.Get(p); !ok || string(e.Data) != body {
			t.Errorf("after seed %s = %v, want %d bytes", p, e, len(body))
		}
	}
	// The appliance's own reader (what seed discovery uses) sees the seed.
	afs, err := fatfs.Open(io.NewSectionReader(f, l.PartStart, l.PartSize), l.PartSize)
	if err != nil {
		t.Fatalf("fatfs.Open: %v", err)
	}
	if got, err := afs.ReadFile("tandem/seed.toml"); err != nil || !bytes.Equal(got, seedBody) || afs.Label() != Label {
		t.Errorf("fatfs: seed.toml %d bytes, %v; label %q", len(got), err, afs.Label())
	}
	if _, err := exec.LookPath("mtype"); err == nil {
		out, err := exec.Command("mtype", "-i", disk+"@@1M", "::/tandem/seed.toml").Output()
		if err != nil || !bytes.Equal(out, seedBody) {
			t.Errorf("mtype seed.toml = %q, %v", out, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[node]\nname = \"haproxy1\"\n"), 0o644)
	if _, err := Seed(disk, bad, nil, epoch); err == nil {
		t.Errorf("Seed(seed failing validation) = nil error")
	}
	if after, _ := os.ReadFile(disk); !bytes.Equal(after, a) {
		t.Errorf("a rejected seed changed the image")
	}
}

func TestReferencedFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "certs"), 0o755)
	os.WriteFile(filepath.Join(dir, "certs/a.pem"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "lb.cfg"), nil, 0o644)
	doc := map[string]any{
		"haproxy": map[string]any{"config_file": "lb.cfg"},
		"tls":     []map[string]any{{"cert": "certs/a.pem"}, {"cert": "../etc/passwd"}},
		"names":   []any{"certs", "missing.pem", "/etc/hostname", "haproxy1"},
	}
	if got := strings.Join(referencedFiles(doc, dir), " "); got != "certs/a.pem lb.cfg" {
		t.Errorf("referencedFiles = %q, want \"certs/a.pem lb.cfg\"", got)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Run([]string{"tandem-image"}, &out, &errb); err == nil {
		t.Errorf("Run() with no subcommand = nil error")
	}
	if err := Run([]string{"tandem-image", "build", "--tandem", "x"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--root") {
		t.Errorf("Run(build without root) = %v, want --root/--debs error", err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if e, err := Epoch(); err != nil || e.Unix() != 1700000000 {
		t.Errorf("Epoch() = %v, %v", e, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "x")
	if _, err := Epoch(); err == nil {
		t.Errorf("Epoch(x) = nil error")
	}
}

func TestSeedMakesSeedDisk(t *testing.T) {
	seedFile, err := filepath.Abs("../configs/haproxy1.toml")
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(1700000000, 0)
	disks := []string{filepath.Join(t.TempDir(), "seed.img"), filepath.Join(t.TempDir(), "seed.img")}
	for _, disk := range disks {
		res, err := Seed(disk, seedFile, nil, epoch)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || strings.Join(res.Files, " ") != "tandem/seed.toml tandem/haproxy.cfg" {
			t.Errorf("Seed into a new file = %+v", res)
		}
	}
	a, _ := os.ReadFile(disks[0])
	b, _ := os.ReadFile(disks[1])
	if !bytes.Equal(a, b) {
		t.Error("two seed disks from one seed differ")
	}
	f, err := os.Open(disks[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := gpt.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	afs, err := fatfs.Open(io.NewSectionReader(f, l.PartStart, l.PartSize), l.PartSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := afs.ReadFile("tandem/haproxy.cfg"); err != nil || afs.Label() != Label || l.PartSize != SeedDiskSize {
		t.Errorf("seed disk: haproxy.cfg %v, label %q, partition %d bytes", err, afs.Label(), l.PartSize)
	}
	if _, err := exec.LookPath("mdir"); err == nil {
		if out, err := exec.Command("mdir", "-i", disks[0]+"@@1M", "::tandem").CombinedOutput(); err != nil {
			t.Errorf("mdir: %v\n%s", err, out)
		}
	}
}
