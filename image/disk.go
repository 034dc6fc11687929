package image

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"tandem/image/fat"
	"tandem/image/fstree"
	"tandem/image/gpt"
)

// Boot partition layout.
const (
	Label          = "TANDEM"
	BootLoaderPath = "EFI/BOOT/BOOTX64.EFI"
	systemdBoot    = "usr/lib/systemd/boot/efi/systemd-bootx64.efi"
	minPartSize    = 128 << 20
	// DefaultCmdline sends the console to the first serial port (the last
	// console= is /dev/console) and reboots ten seconds after a panic.
	DefaultCmdline = "console=tty0 console=ttyS0,115200 panic=10"
)

// bootTree is what the FAT partition holds. The kernel and initramfs are
// loaded by systemd-boot from a plain loader entry, so an operator can edit
// the command line from any OS, as on a Raspberry Pi boot partition.
func bootTree(cfg *Config, kernel, initrd string) (*fstree.Tree, error) {
	t := fstree.New()
	cmdline := cfg.Cmdline
	if cmdline == "" {
		cmdline = DefaultCmdline
	}
	for _, err := range []error{
		t.AddFile(BootLoaderPath, filepath.Join(cfg.PkgRoot, systemdBoot), 0o644),
		t.AddFile("vmlinuz", kernel, 0o644),
		t.AddFile("initrd.img", initrd, 0o644),
		t.AddBytes("loader/loader.conf", []byte("default tandem.conf\ntimeout 0\neditor no\n"), 0o644),
		t.AddBytes("loader/entries/tandem.conf", []byte("title tandem\nlinux /vmlinuz\ninitrd /initrd.img\noptions "+cmdline+"\n"), 0o644),
		t.AddDir("tandem", 0o755),
	} {
		if err != nil {
			return nil, fmt.Errorf("image: boot partition: %w", err)
		}
	}
	return t, nil
}

// partSize picks the FAT partition size: room for the boot files twice over
// (an upgrade writes new ones next to the old) plus the seed and state.
func partSize(t *fstree.Tree, want int64) (int64, error) {
	var used int64
	for _, e := range t.Entries() {
		used += e.Size + 4096
	}
	if want == 0 {
		want = 2*used + 32<<20
		if want < minPartSize {
			want = minPartSize
		}
	}
	want = (want + gpt.Align - 1) / gpt.Align * gpt.Align
	if want < used+(1<<20) {
		return 0, fmt.Errorf("image: disk size %d too small for %d bytes of boot files", want, used)
	}
	return want, nil
}

func writeDisk(file string, cfg *Config, kernel, initrd string) error {
	t, err := bootTree(cfg, kernel, initrd)
	if err != nil {
		return err
	}
	size, err := partSize(t, cfg.DiskSize)
	if err != nil {
		return err
	}
	// Identity of the disk comes from its contents: same inputs, same GUIDs.
	h := sha256.New()
	for _, e := range t.Entries() {
		if e.Kind != fstree.File {
			continue
		}
		if e.Source != "" {
			if err := hashFile(h, e.Path, e.Source); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(h, "%s %x\n", e.Path, sha256.Sum256(e.Data))
		}
	}
	seed := h.Sum(nil)
	l := gpt.NewLayout(size)
	l.DiskGUID = gpt.Derive(seed, "disk")
	l.PartGUID = gpt.Derive(seed, "partition")
	l.PartName = Label
	return atomically(file, func(tmp string) error {
		return writeGPTDisk(tmp, l, t, Label, binary.LittleEndian.Uint32(seed[:4]), cfg.Epoch)
	})
}

// writeGPTDisk creates a sparse disk file with the GPT and the FAT volume.
func writeGPTDisk(file string, l gpt.Layout, t *fstree.Tree, label string, volID uint32, epoch time.Time) error {
	if label == "" {
		label = Label
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(l.DiskSize); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := gpt.Write(f, l); err != nil {
		return err
	}
	err = fat.Write(f, l.PartStart, t, fat.Options{
		Size: l.PartSize, Label: label, VolumeID: volID,
		HiddenSectors: uint32(l.PartStart / 512), Time: epoch,
	})
	if err != nil {
		return err
	}
	return f.Close()
}
