package vmbed

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"tandem/image"
	"tandem/image/pkgroot"
	"tandem/test/testbed"
)

// Appliance is a built image: what tandem-image writes.
type Appliance struct {
	Dir    string
	Kernel string
	Initrd string
	Disk   string
}

// DebCache is where the Debian packages are cached: $TANDEM_DEBS, else
// ~/.cache/tandem/debs (what the Makefile uses).
func DebCache() string {
	if d := os.Getenv("TANDEM_DEBS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "tandem", "debs")
}

// Usable says why VMs cannot run here, or nil.
func Usable() error {
	if err := testbed.Usable(); err != nil {
		return err
	}
	for _, tool := range []string{"qemu-system-x86_64", "apt-get"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("needs %s: %w", tool, err)
		}
	}
	if _, err := os.Stat(OVMF); err != nil {
		return fmt.Errorf("needs OVMF (package ovmf): %w", err)
	}
	return nil
}

// BuildAppliance builds the tandem binary from this module and the
// appliance image from Debian's packages into dir, with the given kernel
// package (pkgroot.DefaultKernel, or linux-image-amd64 for physical
// hardware). The packages are downloaded on first use into DebCache, or
// DebCache-<kernel> for another kernel (a cache holds one package set).
func BuildAppliance(ctx context.Context, dir, kernel string, log io.Writer) (*Appliance, error) {
	root, err := testbed.ModuleRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "tandem")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/tandem")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("vmbed: go build tandem: %w\n%s", err, out)
	}
	cache := DebCache()
	if kernel != pkgroot.DefaultKernel {
		cache += "-" + kernel
	}
	pkg, err := pkgroot.FromDebs(ctx, cache, pkgroot.Roots(kernel), log)
	if err != nil {
		return nil, fmt.Errorf("vmbed: package root: %w", err)
	}
	epoch, err := image.Epoch()
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "out")
	_, err = image.Build(image.Config{PkgRoot: pkg, Tandem: bin, RootFS: filepath.Join(root, "rootfs"),
		Out: out, Modules: image.DefaultModules, Epoch: epoch, Log: io.Discard})
	if err != nil {
		return nil, fmt.Errorf("vmbed: image build: %w", err)
	}
	return &Appliance{Dir: dir, Kernel: filepath.Join(out, image.KernelFile), Initrd: filepath.Join(out, image.InitrdFile),
		Disk: filepath.Join(out, image.DiskFile)}, nil
}

// FromOut is an appliance already built by tandem-image into out.
func FromOut(out string) (*Appliance, error) {
	a := &Appliance{Dir: out, Kernel: filepath.Join(out, image.KernelFile), Initrd: filepath.Join(out, image.InitrdFile),
		Disk: filepath.Join(out, image.DiskFile)}
	for _, f := range []string{a.Kernel, a.Initrd, a.Disk} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("vmbed: %w (run tandem-image build first)", err)
		}
	}
	return a, nil
}

// NodeDisk prepares a node's disk from seedFile, as an operator does with
// tandem-image seed: a seeded copy of the appliance's disk for a UEFI
// boot, a seed disk for a kernel+initramfs boot.
func (a *Appliance) NodeDisk(b Boot, seedFile, dst string) error {
	if b == BootUEFI {
		if err := copyFile(a.Disk, dst); err != nil {
			return err
		}
	} else {
		_ = os.Remove(dst) // Seed makes a seed disk where none exists
	}
	_, err := image.Seed(dst, seedFile, nil, time.Unix(0, 0))
	return err
}

// BootSpec completes spec to boot the appliance the b way from disk
// (which may be empty for a kernel boot with no disk).
func (a *Appliance) BootSpec(spec Spec, b Boot, disk string) Spec {
	if b == BootUEFI {
		spec.UEFI = true
	} else {
		spec.Kernel, spec.Initrd, spec.Append = a.Kernel, a.Initrd, Append
	}
	if disk != "" {
		spec.Disks = append(spec.Disks, disk)
	}
	return spec
}

// copyFile copies a sparse-friendly way: cp keeps holes, so a 130 MiB
// mostly empty disk costs little.
func copyFile(src, dst string) error {
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("vmbed: cp %s: %w: %s", src, err, out)
	}
	return nil
}
