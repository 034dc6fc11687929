package image

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"tandem/image/cpio"
)

// initrdFile returns the content of the first initramfs entry ending in name.
func initrdFile(t *testing.T, initrd, name string) string {
	t.Helper()
	f, err := os.Open(initrd)
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
	for _, r := range recs {
		if strings.HasSuffix(r.Name, "/"+name) {
			return string(r.Data)
		}
	}
	t.Fatalf("%s not in %s", name, initrd)
	return ""
}

// bootQEMU runs QEMU (TCG, so it works without /dev/kvm) until the guest
// powers off, and returns the serial console output and the wall time.
func bootQEMU(t *testing.T, args ...string) (string, time.Duration) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"-accel", "tcg", "-m", "512", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio", "-monitor", "none"}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", append(base, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("qemu: %v\n%s", err, out.String())
	}
	return out.String(), took
}

func TestBootInQEMU(t *testing.T) {
	pkg := realPkgRoot(t)
	out := t.TempDir()
	realBuild(t, pkg, buildHello(t), out)

	t.Run("kernel+initrd", func(t *testing.T) {
		log, took := bootQEMU(t, "-kernel", filepath.Join(out, KernelFile), "-initrd", filepath.Join(out, InitrdFile),
			"-append", "console=ttyS0 panic=-1")
		if !strings.Contains(log, "TANDEM-HELLO") || !strings.Contains(log, "haproxy=true") {
			t.Fatalf("no hello line from /init:\n%s", log)
		}
		t.Logf("direct kernel boot to power-off: %.1fs; %s", took.Seconds(), helloLine(log))
	})
	t.Run("uefi-disk", func(t *testing.T) {
		ovmf := "/usr/share/ovmf/OVMF.fd"
		if _, err := os.Stat(ovmf); err != nil {
			t.Skip("OVMF not installed")
		}
		log, took := bootQEMU(t, "-bios", ovmf,
			"-drive", "file="+filepath.Join(out, DiskFile)+",format=raw,if=virtio,snapshot=on")
		if !strings.Contains(log, "TANDEM-HELLO") {
			t.Fatalf("no hello line from /init:\n%s", log)
		}
		t.Logf("UEFI (OVMF + systemd-boot) boot to power-off: %.1fs; %s", took.Seconds(), helloLine(log))
	})
}

func helloLine(log string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "TANDEM-HELLO") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
