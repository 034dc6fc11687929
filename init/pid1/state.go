package pid1

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"tandem/init/boot"
	"tandem/init/fatfs"
	"tandem/init/seed"
)

const (
	// VolumeLabel names the FAT volume holding the seed and the state.
	VolumeLabel = "TANDEM"
	// VolumeMount is where PID 1 mounts the TANDEM volume.
	VolumeMount = "/run/tandem/volume"
	// StateSubdir is the state folder on the volume. It must not be the
	// volume's root (see seed.PersistDir): a rejected new seed on the
	// volume must not overwrite the persisted one.
	StateSubdir = "state"
	// RuntimeDir is the runtime's state folder (HAProxy sockets and its
	// generated configuration): tmpfs, since FAT holds no sockets.
	RuntimeDir = "/run/tandem"
	// EntropyFile is the saved random seed, in the state folder.
	EntropyFile = "random-seed"
)

// findVolume returns the block device holding a FAT file system labelled
// label (case-insensitive), read in user space so nothing is mounted to
// look.
func findVolume(label string) (string, error) {
	devs, err := seed.BlockDevices()
	if err != nil {
		return "", err
	}
	for _, dev := range devs {
		if isFATLabelled(dev, label) {
			return dev, nil
		}
	}
	return "", fmt.Errorf("no FAT volume labelled %s among %d block device(s)", label, len(devs))
}

func isFATLabelled(dev, label string) bool {
	f, err := os.Open(dev)
	if err != nil {
		return false
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size <= 0 {
		return false
	}
	fsys, err := fatfs.Open(f, size)
	if err != nil {
		return false
	}
	return strings.EqualFold(fsys.Label(), label)
}

// mountState finds the state folder: tandem.state= on the command line,
// else the TANDEM volume, mounted with the kernel's vfat driver so the
// persisted seed and the entropy seed can be written. It returns the state
// folder and the mount to undo at shutdown (nil when none was made).
func mountState(cmdline string, container bool) (string, *boot.MountPoint, error) {
	if dir, ok := cmdlineValue(cmdline, StateKey); ok && dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("%s=%s: %w", StateKey, dir, err)
		}
		return dir, nil, nil
	}
	if container {
		return "", nil, errors.New("container: not looking for a state volume (pass " + StateKey + "=DIR)")
	}
	dev, err := findVolume(VolumeLabel)
	if err != nil {
		return "", nil, err
	}
	mp := boot.MountPoint{Source: dev, Target: VolumeMount, FSType: "vfat",
		Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME}
	if err := os.MkdirAll(VolumeMount, 0o700); err != nil {
		return "", nil, fmt.Errorf("state volume: %w", err)
	}
	if err := unix.Mount(mp.Source, mp.Target, mp.FSType, mp.Flags, ""); err != nil {
		return "", nil, fmt.Errorf("state volume: mount %s on %s (vfat): %w", dev, VolumeMount, err)
	}
	dir := filepath.Join(VolumeMount, StateSubdir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", &mp, fmt.Errorf("state volume: %w", err)
	}
	return dir, &mp, nil
}
