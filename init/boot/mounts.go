package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// MountPoint is one row of the mount table.
type MountPoint struct {
	Source string
	Target string // absolute, inside the root passed to Mount
	FSType string
	Flags  uintptr
	Data   string
}

// DefaultMounts is what PID 1 mounts, parents before children. /dev/pts is
// a private instance (newinstance) so a container's or an old instance's
// ptys never leak in; ptmxmode=0666 lets unprivileged users open ptmx.
var DefaultMounts = []MountPoint{
	{Source: "proc", Target: "/proc", FSType: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
	{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
	{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs", Flags: unix.MS_NOSUID, Data: "mode=0755"},
	{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{Source: "tmpfs", Target: "/dev/shm", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"},
	{Source: "tmpfs", Target: "/run", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=0755"},
	{Source: "tmpfs", Target: "/tmp", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"},
	{Source: "cgroup2", Target: "/sys/fs/cgroup", FSType: "cgroup2", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
}

// Result is the outcome for one mount table row.
type Result struct {
	Target  string // full path acted on
	FSType  string
	Already bool // already mounted (Mount) or not mounted at all (UnmountAll)
	Detach  bool // UnmountAll had to fall back to a lazy detach
	Err     error
}

func (r Result) String() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("%s (%s): %v", r.Target, r.FSType, r.Err)
	case r.Already:
		return fmt.Sprintf("%s (%s): already", r.Target, r.FSType)
	case r.Detach:
		return fmt.Sprintf("%s (%s): detached", r.Target, r.FSType)
	}
	return fmt.Sprintf("%s (%s): ok", r.Target, r.FSType)
}

// Mount mounts each row under root ("/" on the appliance), creating the
// mountpoint first. A target that is already a mountpoint (per
// /proc/self/mountinfo, or EBUSY from the kernel) counts as done. It never
// stops early: every row gets a Result.
func Mount(table []MountPoint, root string) []Result {
	results := make([]Result, 0, len(table))
	for _, m := range table {
		target := filepath.Join(root, m.Target)
		r := Result{Target: target, FSType: m.FSType}
		mounted, _ := mountPoints() // before /proc is up there is nothing to read
		switch {
		case mounted[target]:
			r.Already = true
		default:
			if err := os.MkdirAll(target, 0o755); err != nil {
				r.Err = fmt.Errorf("mount: create %s: %w", target, err)
				break
			}
			err := unix.Mount(m.Source, target, m.FSType, m.Flags, m.Data)
			if errors.Is(err, unix.EBUSY) {
				r.Already = true
			} else if err != nil {
				r.Err = fmt.Errorf("mount: %s on %s: %w", m.FSType, target, err)
			}
		}
		results = append(results, r)
	}
	return results
}

// UnmountAll unmounts the table under root in reverse order. A busy mount is
// retried briefly and then detached lazily (MNT_DETACH), so shutdown never
// hangs on one.
func UnmountAll(table []MountPoint, root string) []Result {
	results := make([]Result, 0, len(table))
	for i := len(table) - 1; i >= 0; i-- {
		m := table[i]
		target := filepath.Join(root, m.Target)
		r := Result{Target: target, FSType: m.FSType}
		if mounted, err := mountPoints(); err == nil && !mounted[target] {
			r.Already = true
			results = append(results, r)
			continue
		}
		err := unmountRetry(target)
		if errors.Is(err, unix.EBUSY) {
			r.Detach = true
			err = unix.Unmount(target, unix.MNT_DETACH)
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			r.Already, err = true, nil // not a mountpoint
		}
		if err != nil {
			r.Err = fmt.Errorf("unmount %s: %w", target, err)
		}
		results = append(results, r)
	}
	return results
}

func unmountRetry(target string) error {
	var err error
	for try := 0; try < 3; try++ {
		if err = unix.Unmount(target, 0); !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
