package seed

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// VolumeDir is the folder on the seed volume that holds seed.toml and the
// files it names.
const VolumeDir = "tandem"

// BlockDevices lists /dev/<name> for every block device in
// /sys/class/block (whole disks, partitions, CD-ROM drives such as sr0),
// skipping RAM disks and devices with no medium (size 0, as an empty
// CD-ROM drive reports).
func BlockDevices() ([]string, error) {
	entries, err := os.ReadDir("/sys/class/block")
	if err != nil {
		return nil, fmt.Errorf("seed: list block devices: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") {
			continue
		}
		if size, err := os.ReadFile(filepath.Join("/sys/class/block", n, "size")); err == nil && strings.TrimSpace(string(size)) == "0" {
			continue
		}
		out = append(out, "/dev/"+n)
	}
	sort.Strings(out)
	return out, nil
}

// volumeCandidate scans the devices for a FAT or ISO9660 volume labelled
// env.Label that holds tandem/seed.toml; nil when there is none. Devices
// that cannot be read or hold neither file system are skipped.
func (env *DiscoverEnv) volumeCandidate() (*candidate, error) {
	devs, err := env.Devices()
	if err != nil {
		return nil, err
	}
	for _, dev := range devs {
		cand, err := env.readVolume(dev)
		if err != nil {
			env.Logf("seed: %s: %v", dev, err)
			continue
		}
		if cand != nil {
			return cand, nil
		}
	}
	return nil, nil
}

func (env *DiscoverEnv) readVolume(dev string) (*candidate, error) {
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	v, err := openVolume(f, size)
	if err != nil || v == nil {
		return nil, err
	}
	if !strings.EqualFold(v.label, env.Label) {
		return nil, nil
	}
	b, err := readBundle(SeedFile, func(name string) ([]byte, error) {
		return readFSBounded(v.fsys, VolumeDir+"/"+name)
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %s: %w", dev, err)
	}
	if b == nil {
		env.Logf("seed: %s is labelled %s but holds no %s/%s", dev, v.label, VolumeDir, SeedFile)
		return nil, nil
	}
	env.Logf("seed: found a seed on %s (%s %s)", dev, v.kind, v.label)
	return &candidate{
		source:  fmt.Sprintf("%s %s %s (%s)", v.label, SourceVolume, dev, v.kind),
		display: dev + ":" + VolumeDir + "/",
		b:       b,
	}, nil
}
