package pid1

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/boot"
)

// ExtraModules are loaded by name after coldplug, when the kernel has them:
// file systems for the seed and state volumes, fw_cfg for a seed passed by
// QEMU, the watchdog QEMU offers (-device i6300esb), and evdev with the
// ACPI button driver so the power button reaches PID 1 — none of which a
// device's modalias names.
var ExtraModules = []string{"vfat", "nls_cp437", "nls_ascii", "iso9660", "qemu_fw_cfg", "i6300esb", "button", "evdev"}

// SoftWatchdog is loaded when no hardware watchdog showed up: the kernel's
// timer-based watchdog still reboots a box whose runtime hangs.
const SoftWatchdog = "softdog"

// kernelRelease is `uname -r`.
func kernelRelease() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// loadModules coldplugs the modules of present devices, then the extras.
// A missing module is reported, never fatal.
func (p *pid1) loadModules() error {
	rel, err := kernelRelease()
	if err != nil {
		return err
	}
	dir := filepath.Join("/lib/modules", rel)
	db, err := boot.OpenModules(dir)
	if err != nil {
		return fmt.Errorf("no module index for kernel %s (built-in drivers only): %w", rel, err)
	}
	p.modules = db
	p.log.Logf("modules: %s", db.Stats())
	r := db.Coldplug("/sys")
	p.log.Logf("modules: coldplug: %d device modaliases, %d matched, %d modules wanted, in %v",
		r.Modaliases, r.Matched, len(r.Modules), r.Took.Round(time.Millisecond))
	for _, e := range r.Errors {
		p.log.Logf("modules: coldplug: %v", e)
		if errors.Is(e, boot.ErrNoModuleSupport) {
			return nil
		}
	}
	var builtin, missing, failed []string
	for _, name := range ExtraModules {
		mods, err := db.Lookup(name)
		switch {
		case errors.Is(err, boot.ErrModuleNotFound):
			missing = append(missing, name)
			continue
		case err != nil:
			failed = append(failed, fmt.Sprintf("%s (%v)", name, err))
			continue
		case len(mods) == 0:
			builtin = append(builtin, name)
			continue
		}
		if err := db.Load(name); err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", name, err))
		}
	}
	p.log.Logf("modules: loaded %s", listOrNone(db.Loaded()))
	if len(builtin) > 0 {
		p.log.Logf("modules: built into the kernel: %s", strings.Join(builtin, ", "))
	}
	if len(missing) > 0 {
		p.log.Logf("modules: not present in %s: %s", dir, strings.Join(missing, ", "))
	}
	if len(failed) > 0 {
		p.log.Logf("modules: failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
