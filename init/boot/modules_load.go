package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoModuleSupport means the running kernel was built without loadable
// modules (finit_module returns ENOSYS).
var ErrNoModuleSupport = errors.New("kernel has no loadable module support")

// InsertModule loads one .ko file with finit_module. EEXIST (already loaded)
// is success.
//
// Compressed modules (.ko.xz, .ko.zst, .ko.gz) are handed to the kernel with
// MODULE_INIT_COMPRESSED_FILE rather than decompressed in Go: the image
// ships the modules of the same Debian kernel package it boots, and a kernel
// that compresses its modules is built with CONFIG_MODULE_DECOMPRESS for
// exactly this (Linux 5.17+, what kmod 31+ does too). That keeps PID 1 free
// of decompressors; on a kernel without it the error says so.
func InsertModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("modules: open %s: %w", path, err)
	}
	defer f.Close()
	flags := 0
	compressed := isCompressedModule(path)
	if compressed {
		flags |= unix.MODULE_INIT_COMPRESSED_FILE
	}
	err = unix.FinitModule(int(f.Fd()), "", flags)
	switch {
	case err == nil, errors.Is(err, unix.EEXIST):
		return nil
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("modules: load %s: %w", path, ErrNoModuleSupport)
	case compressed && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)):
		return fmt.Errorf("modules: load %s: kernel cannot decompress it (needs CONFIG_MODULE_DECOMPRESS with the same compression, Linux 5.17+): %w", path, err)
	}
	return fmt.Errorf("modules: load %s: %w", path, err)
}

func isCompressedModule(path string) bool {
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// Load loads a module (by name or alias) with its dependencies, and its
// soft dependencies best effort, like `modprobe NAME`.
func (db *ModuleDB) Load(name string) error {
	mods, err := db.Lookup(name)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mods {
		if err := db.loadWithSoftdeps(m, 0); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (db *ModuleDB) loadWithSoftdeps(m string, depth int) error {
	if depth < 4 { // softdeps may name each other; a short bound is enough
		for _, pre := range db.softPre[m] {
			if mods, err := db.Lookup(pre); err == nil {
				for _, p := range mods {
					_ = db.loadWithSoftdeps(p, depth+1) // optional by definition
				}
			}
		}
	}
	order, err := db.Closure(m)
	if err != nil {
		return err
	}
	for _, dep := range order {
		if err := db.insertOnce(dep); err != nil {
			return err
		}
	}
	if depth < 4 {
		for _, post := range db.softPst[m] {
			if mods, err := db.Lookup(post); err == nil {
				for _, p := range mods {
					_ = db.loadWithSoftdeps(p, depth+1)
				}
			}
		}
	}
	return nil
}

// insertOnce loads a module file at most once per DB, remembering failures
// so coldplug does not retry a broken module for every device.
func (db *ModuleDB) insertOnce(m string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err, done := db.loaded[m]; done {
		return err
	}
	err := db.Insert(db.Path(m))
	db.loaded[m] = err
	return err
}

// Loaded lists the modules this DB loaded successfully, sorted.
func (db *ModuleDB) Loaded() []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []string
	for m, err := range db.loaded {
		if err == nil {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// Modaliases reads every /sys/bus/*/devices/*/modalias under sysRoot and
// returns the distinct values, sorted.
func Modaliases(sysRoot string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sysRoot, "bus", "*", "devices", "*", "modalias"))
	if err != nil {
		return nil, fmt.Errorf("modules: glob modalias: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // devices come and go; unreadable ones have nothing to load
		}
		a := strings.TrimSpace(string(b))
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ColdplugReport says what Coldplug found and did.
type ColdplugReport struct {
	Modaliases int           // distinct device modaliases found
	Matched    int           // of them, how many resolved to a module
	Modules    []string      // modules the devices need (without their dependencies)
	Errors     []error       // modules that failed to load
	Took       time.Duration // wall time, including loading
}

// Coldplug loads the modules for every device present at boot, as udev's
// coldplug with `modprobe -b $MODALIAS` would: each modalias resolves to all
// matching modules, each loaded with its dependencies. Loading a bus driver
// creates new devices (virtio_pci registers the virtio devices that name
// virtio_net), so it scans again while a round loaded something new, up to
// coldplugRounds. It keeps going after a failure and reports every error;
// with ErrNoModuleSupport it stops early.
func (db *ModuleDB) Coldplug(sysRoot string) ColdplugReport {
	start := time.Now()
	var rep ColdplugReport
	seenAlias := map[string]bool{}
	wanted := map[string]bool{}
	for round := 0; round < coldplugRounds; round++ {
		aliases, err := Modaliases(sysRoot)
		if err != nil {
			rep.Errors = append(rep.Errors, err)
			break
		}
		var fresh []string
		for _, a := range aliases {
			if !seenAlias[a] {
				seenAlias[a] = true
				rep.Modaliases++
				mods := db.Resolve(a)
				if len(mods) > 0 {
					rep.Matched++
				}
				for _, m := range mods {
					if _, ok := db.paths[m]; ok && !wanted[m] {
						wanted[m] = true
						fresh = append(fresh, m)
					}
				}
			}
		}
		if len(fresh) == 0 {
			break
		}
		rep.Modules = append(rep.Modules, fresh...)
		for _, m := range fresh {
			if err := db.loadWithSoftdeps(m, 0); err != nil {
				rep.Errors = append(rep.Errors, err)
				if errors.Is(err, ErrNoModuleSupport) {
					rep.Took = time.Since(start)
					return rep
				}
			}
		}
	}
	rep.Took = time.Since(start)
	return rep
}

// coldplugRounds bounds rescans: PCI → virtio → (rarely) one more bus.
const coldplugRounds = 4
