package image

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"tandem/image/pkgroot"
)

const usage = `usage:
  tandem-image build (--root DIR | --debs DIR [--kernel-package PKG]) --tandem FILE
                     [--rootfs DIR] [--out DIR] [--modules a,b,c] [--cmdline "..."]
                     [--disk-size MiB]
  tandem-image seed --seed FILE --into DISK.img [--file FILE]...

build  cuts the appliance from a Debian package root: a mkosi directory
       (--root) or a cache of .debs (--debs; missing ones are fetched with
       apt-get download, the unpacked root is cached). Writes vmlinuz,
       initrd.img, tandem.img and tandem-oci.tar to --out.
seed   writes the seed as tandem/seed.toml into the image's FAT partition,
       with the files it names by relative path and any --file. When DISK
       does not exist, it is made: a small seed disk (GPT, one FAT32
       partition labelled TANDEM) to attach next to a kernel+initramfs boot.
Timestamps come from SOURCE_DATE_EPOCH (default 1980-01-01).
`

// Run is the tandem-image command.
func Run(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[1] {
	case "build":
		return runBuild(args[2:], stdout, stderr)
	case "seed":
		return runSeed(args[2:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[1])
}

// Epoch reads SOURCE_DATE_EPOCH; unset means 1980-01-01, the earliest
// time every output format (FAT included) can hold.
func Epoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("bad SOURCE_DATE_EPOCH %q", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func runBuild(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "package root directory made by mkosi")
	debs := fs.String("debs", "", "cache directory of .deb files")
	tandem := fs.String("tandem", "", "the tandem binary (becomes /init)")
	rootfs := fs.String("rootfs", "", "directory of static files laid over the root")
	out := fs.String("out", "out", "output directory")
	mods := fs.String("modules", strings.Join(DefaultModules, ","), "kernel modules to include (with dependencies)")
	cmdline := fs.String("cmdline", DefaultCmdline, "kernel command line in the boot entry")
	diskMiB := fs.Int64("disk-size", 0, "FAT partition size in MiB (0: automatic)")
	kernelPkg := fs.String("kernel-package", pkgroot.DefaultKernel, "kernel package for --debs (linux-image-amd64 for physical NICs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*root == "") == (*debs == "") {
		return errors.New("build: give exactly one of --root and --debs")
	}
	if *tandem == "" {
		return errors.New("build: --tandem is required")
	}
	epoch, err := Epoch()
	if err != nil {
		return err
	}
	start := time.Now()
	pkgRoot := *root
	if *debs != "" {
		if pkgRoot, err = pkgroot.FromDebs(context.Background(), *debs, pkgroot.Roots(*kernelPkg), stdout); err != nil {
			return err
		}
	}
	rootTime := time.Since(start)
	res, err := Build(Config{
		PkgRoot: pkgRoot, Tandem: *tandem, RootFS: *rootfs, Out: *out,
		Modules: strings.Split(*mods, ","), Cmdline: *cmdline, Epoch: epoch,
		DiskSize: *diskMiB << 20, Log: stdout,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "package root  %s (%.1fs)\n", pkgRoot, rootTime.Seconds())
	fmt.Fprintf(stdout, "kernel        %s\n", res.KernelVersion)
	fmt.Fprintf(stdout, "modules       %d shipped (with dependencies); built in: %s\n", res.Modules, list(res.Builtin))
	if len(res.Missing) > 0 {
		fmt.Fprintf(stdout, "not available %s\n", list(res.Missing))
	}
	fmt.Fprintf(stdout, "haproxy       %d files (ELF closure)\n", res.ProgramFiles)
	fmt.Fprintf(stdout, "root          %d entries, timestamps %s\n", res.RootEntries, epoch.Format(time.RFC3339))
	for _, p := range res.Parts {
		fmt.Fprintf(stdout, "%-13s %s  %s\n", p.Name, human(p.Size), p.Path)
	}
	fmt.Fprintf(stdout, "done in %.1fs\n", time.Since(start).Seconds())
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runSeed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", "", "firstboot TOML")
	into := fs.String("into", "", "disk image made by build")
	var extra multiFlag
	fs.Var(&extra, "file", "extra file to put next to the seed (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *seed == "" || *into == "" {
		return errors.New("seed: --seed and --into are required")
	}
	epoch, err := Epoch()
	if err != nil {
		return err
	}
	res, err := Seed(*into, *seed, extra, epoch)
	if err != nil {
		return err
	}
	if res.Created {
		fmt.Fprintf(stdout, "made %s: a seed disk with an empty %s partition\n", *into, Label)
	}
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "wrote %s into %s\n", f, *into)
	}
	return nil
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, " ")
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%7.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%7.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%7d B  ", n)
}
