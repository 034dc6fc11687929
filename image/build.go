package image

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"

	"tandem/image/cpio"
	"tandem/image/fstree"
	"tandem/image/oci"
)

// Config is one build.
type Config struct {
	PkgRoot  string    // Debian package root (mkosi directory or unpacked .debs)
	Tandem   string    // the tandem binary, installed as /init
	RootFS   string    // optional directory of static files laid over the root
	Out      string    // output directory
	Modules  []string  // kernel modules wanted (closure added)
	Cmdline  string    // kernel command line for the boot entry
	Epoch    time.Time // every timestamp
	DiskSize int64     // FAT partition size in bytes; 0 picks one
	Log      io.Writer // progress and the final summary
}

// Part is one output file.
type Part struct {
	Name string
	Path string
	Size int64
}

// Result describes a finished build.
type Result struct {
	KernelVersion string
	Modules       int
	Builtin       []string
	Missing       []string
	ProgramFiles  int
	RootEntries   int
	Parts         []Part
}

// Output file names inside Config.Out.
const (
	KernelFile = "vmlinuz"
	InitrdFile = "initrd.img"
	DiskFile   = "tandem.img"
	OCIFile    = "tandem-oci.tar"
)

// Build writes vmlinuz, initrd.img, tandem.img and tandem-oci.tar to cfg.Out.
func Build(cfg Config) (*Result, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	tree, rep, err := buildRoot(&cfg)
	if err != nil {
		return nil, err
	}
	res := &Result{
		KernelVersion: rep.KernelVersion,
		Modules:       len(rep.Selection.Modules),
		Builtin:       rep.Selection.Builtin,
		Missing:       rep.Selection.Missing,
		ProgramFiles:  rep.ProgramFiles,
		RootEntries:   tree.Len(),
	}
	kernel := filepath.Join(cfg.Out, KernelFile)
	if err := copyFile(filepath.Join(cfg.PkgRoot, "boot", "vmlinuz-"+rep.KernelVersion), kernel); err != nil {
		return nil, err
	}
	initrd := filepath.Join(cfg.Out, InitrdFile)
	if err := writeInitrd(initrd, tree, cfg.Epoch); err != nil {
		return nil, err
	}
	disk := filepath.Join(cfg.Out, DiskFile)
	if err := writeDisk(disk, &cfg, kernel, initrd); err != nil {
		return nil, err
	}
	ociFile := filepath.Join(cfg.Out, OCIFile)
	err = atomically(ociFile, func(tmp string) error {
		return oci.WriteArchive(tmp, tree, oci.Options{
			Entrypoint: []string{"/init"},
			Env:        []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
			Tag:        "tandem:latest",
			Time:       cfg.Epoch,
		})
	})
	if err != nil {
		return nil, err
	}
	for _, p := range []struct{ name, path string }{{"kernel", kernel}, {"initramfs", initrd}, {"disk", disk}, {"oci", ociFile}} {
		st, err := os.Stat(p.path)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		res.Parts = append(res.Parts, Part{Name: p.name, Path: p.path, Size: st.Size()})
	}
	return res, nil
}

// writeInitrd writes the tree as a zstd-compressed newc cpio. The Debian
// kernel has CONFIG_RD_ZSTD=y; zstd is smaller than gzip and faster to
// unpack at boot. One encoder goroutine keeps the output reproducible.
func writeInitrd(file string, t *fstree.Tree, epoch time.Time) error {
	return atomically(file, func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		defer f.Close()
		zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
			zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(8<<20))
		if err != nil {
			return fmt.Errorf("image: zstd: %w", err)
		}
		if err := cpio.WriteTree(zw, t, epoch.Unix()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("image: zstd: %w", err)
		}
		return f.Close()
	})
}

// atomically runs write on a temporary name next to file and renames it
// into place, so an interrupted build never leaves a half-written output.
func atomically(file string, write func(tmp string) error) error {
	tmp := file + ".tmp"
	os.Remove(tmp)
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	return nil
}

func copyFile(src, dst string) error {
	return atomically(dst, func(tmp string) error {
		in, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		defer in.Close()
		out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		defer out.Close()
		if _, err := io.Copy(out, in); err != nil {
			return fmt.Errorf("image: copy %s: %w", src, err)
		}
		return out.Close()
	})
}

// hashFile feeds a file's path and content into h (for derived GUIDs).
func hashFile(h io.Writer, name, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return fmt.Errorf("image: hash %s: %w", file, err)
	}
	fmt.Fprintf(h, "%s %x\n", name, s.Sum(nil))
	return nil
}
