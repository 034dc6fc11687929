// Package image builds the tandem appliance images from a Debian package
// root without root privileges, loop devices or mounts: the initramfs
// (newc cpio, zstd), a GPT disk with one FAT32 partition that boots through
// systemd-boot, and an OCI image archive of the same root. Every output is
// reproducible: SOURCE_DATE_EPOCH stamps every timestamp, entries are sorted,
// owners are 0 and modes fixed.
package image

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"tandem/image/elfdeps"
	"tandem/image/fstree"
	"tandem/image/kmod"
)

// DefaultModules are the drivers the appliance may need on common
// hypervisors and servers. Names the kernel lacks are reported, not fatal.
var DefaultModules = []string{
	"virtio_net", "virtio_blk", "virtio_pci", "virtio_scsi", "virtio_console", "virtio_rng",
	"e1000", "e1000e", "igb", "ixgbe", "vmxnet3", "vmw_pvscsi",
	"ahci", "ata_piix", "nvme", "sd_mod", "sr_mod",
	"vfat", "nls_cp437", "nls_ascii", "nls_utf8", "iso9660",
	"i6300esb", "softdog", "qemu_fw_cfg", "button", "evdev", "af_packet", "8021q", "bonding",
}

// Programs are the binaries whose ELF closure goes into the image.
var Programs = []string{"/usr/sbin/haproxy"}

// kernelVersion finds the one kernel in the package root.
func kernelVersion(root string) (string, error) {
	ents, err := os.ReadDir(filepath.Join(root, "lib/modules"))
	if err != nil {
		return "", fmt.Errorf("image: no kernel modules in package root: %w", err)
	}
	var vers []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, "boot", "vmlinuz-"+e.Name())); err == nil {
			vers = append(vers, e.Name())
		}
	}
	sort.Strings(vers)
	if len(vers) != 1 {
		return "", fmt.Errorf("image: want exactly one kernel with /boot/vmlinuz-<version> in %s, found %v", root, vers)
	}
	return vers[0], nil
}

// addResolved adds the symlinks on the way to p (e.g. lib → usr/lib) to t
// and returns p's real relative path.
func addResolved(t *fstree.Tree, root, p string) (string, error) {
	real, links, err := elfdeps.Resolve(root, p)
	if err != nil {
		return "", err
	}
	for l, target := range links {
		if err := t.AddSymlink(l, target); err != nil {
			return "", err
		}
	}
	return real, nil
}

// rootReport says what went into the root tree.
type rootReport struct {
	KernelVersion string
	Selection     *kmod.Selection
	ProgramFiles  int
}

// buildRoot assembles the appliance root from the package root.
func buildRoot(cfg *Config) (*fstree.Tree, *rootReport, error) {
	t := fstree.New()
	rep := &rootReport{}
	for _, d := range []struct {
		p    string
		perm os.FileMode
	}{{"dev", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"run", 0o755}, {"tmp", 0o1777},
		{"etc", 0o755}, {"root", 0o700}, {"var/lib/haproxy", 0o755}, {"var/log", 0o755}} {
		if err := t.AddDir(d.p, d.perm); err != nil {
			return nil, nil, err
		}
	}
	// The kernel opens /dev/console for PID 1 before anything is mounted.
	if err := t.AddCharDev("dev/console", 0o600, 5, 1); err != nil {
		return nil, nil, err
	}
	if err := t.AddCharDev("dev/null", 0o666, 1, 3); err != nil {
		return nil, nil, err
	}
	if err := t.AddFile("init", cfg.Tandem, 0o755); err != nil {
		return nil, nil, err
	}
	if err := t.AddSymlink("usr/bin/tandem", "../../init"); err != nil {
		return nil, nil, err
	}

	clos, err := elfdeps.Find(cfg.PkgRoot, Programs...)
	if err != nil {
		return nil, nil, err
	}
	if err := clos.AddTo(t, cfg.PkgRoot); err != nil {
		return nil, nil, err
	}
	rep.ProgramFiles = len(clos.Files)

	ver, err := kernelVersion(cfg.PkgRoot)
	if err != nil {
		return nil, nil, err
	}
	rep.KernelVersion = ver
	modDir, err := addResolved(t, cfg.PkgRoot, "/lib/modules/"+ver)
	if err != nil {
		return nil, nil, err
	}
	ix, err := kmod.Load(filepath.Join(cfg.PkgRoot, modDir))
	if err != nil {
		return nil, nil, err
	}
	if rep.Selection, err = ix.Closure(cfg.Modules); err != nil {
		return nil, nil, err
	}
	if err := ix.AddTo(t, modDir, rep.Selection); err != nil {
		return nil, nil, err
	}

	if err := addCABundle(t, cfg.PkgRoot); err != nil {
		return nil, nil, err
	}
	for name, body := range defaultEtc {
		if err := t.AddBytes(name, []byte(body), 0o644); err != nil {
			return nil, nil, err
		}
	}
	if cfg.RootFS != "" {
		if err := t.AddHostDir(cfg.RootFS, "/"); err != nil {
			return nil, nil, err
		}
	}
	return t, rep, nil
}

// defaultEtc is the minimum HAProxy and glibc need; rootfs/ may override.
var defaultEtc = map[string]string{
	"etc/passwd":        "root:x:0:0:root:/root:/usr/bin/tandem\nhaproxy:x:100:101::/var/lib/haproxy:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"etc/group":         "root:x:0:\nhaproxy:x:101:\nnogroup:x:65534:\n",
	"etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
}

// addCABundle ships the CA bundle HAProxy verifies TLS backends with. A
// mkosi root has the bundle update-ca-certificates made; unpacked .debs only
// have the certificates, which are concatenated in sorted order.
func addCABundle(t *fstree.Tree, root string) error {
	const bundle = "/etc/ssl/certs/ca-certificates.crt"
	if real, _, err := elfdeps.Resolve(root, bundle); err == nil {
		if st, err := os.Stat(filepath.Join(root, real)); err == nil && st.Mode().IsRegular() {
			return t.AddFile(bundle, filepath.Join(root, real), 0o644)
		}
	}
	var certs []string
	base := filepath.Join(root, "usr/share/ca-certificates")
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".crt") {
			certs = append(certs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image: CA certificates: %w", err)
	}
	sort.Strings(certs)
	var all []byte
	for _, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		all = append(all, b...)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			all = append(all, '\n')
		}
	}
	if len(certs) == 0 {
		return fmt.Errorf("image: no CA certificates in %s", path.Join(root, "usr/share/ca-certificates"))
	}
	return t.AddBytes(bundle, all, 0o644)
}
