package image

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"tandem/image/fat"
	"tandem/image/fstree"
	"tandem/image/gpt"
	"tandem/init/seed"
)

// SeedDir is the folder on the boot partition that holds the seed.
const SeedDir = "tandem"

// SeedResult lists what Seed wrote.
type SeedResult struct {
	Files   []string // paths on the FAT partition
	Created bool     // the disk did not exist: a seed disk was made
}

// SeedDiskSize is the FAT partition of a seed disk that Seed makes: the
// smallest FAT32 volume, which also holds the persisted state.
const SeedDiskSize = 40 << 20

// newSeedDisk writes a sparse disk with an empty TANDEM partition: the
// seed (and state) disk for a kernel+initramfs boot, which has no disk
// image of its own. Its identity derives from the seed, for reproducibility.
func newSeedDisk(file string, seedBody []byte, epoch time.Time) error {
	sum := sha256.Sum256(seedBody)
	l := gpt.NewLayout(SeedDiskSize)
	l.DiskGUID = gpt.Derive(sum[:], "seed disk")
	l.PartGUID = gpt.Derive(sum[:], "seed partition")
	l.PartName = Label
	return atomically(file, func(tmp string) error {
		return writeGPTDisk(tmp, l, fstree.New(), Label, binary.LittleEndian.Uint32(sum[:4]), epoch)
	})
}

// Seed writes seedFile as tandem/seed.toml into the disk image, plus every
// file the seed names by a relative path that exists next to it (certificates,
// HAProxy snippets), plus extra files. It rebuilds the FAT volume with this
// package's writer instead of patching it with mtools: no external tool is
// needed, the result is as reproducible as a build (same image and seed give
// the same bytes), and the existing GPT identity, label and volume ID are
// kept. Files already on the partition are kept; their timestamps become
// epoch.
func Seed(diskFile, seedFile string, extra []string, epoch time.Time) (*SeedResult, error) {
	body, err := os.ReadFile(seedFile)
	if err != nil {
		return nil, fmt.Errorf("image: seed: %w", err)
	}
	// Refuse a seed the appliance would reject: the same validation the
	// node runs at boot, so mistakes show up here, not on a console.
	if _, err := seed.Parse(context.Background(), seedFile, body, seed.Options{}); err != nil {
		return nil, fmt.Errorf("image: seed %s is invalid:\n%w", seedFile, err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(body), &doc); err != nil {
		return nil, fmt.Errorf("image: seed %s is not valid TOML: %w", seedFile, err)
	}
	res := &SeedResult{}
	files := map[string]string{} // FAT path → host path
	base := filepath.Dir(seedFile)
	for _, ref := range referencedFiles(doc, base) {
		files[path.Join(SeedDir, ref)] = filepath.Join(base, ref)
	}
	for _, x := range extra {
		files[path.Join(SeedDir, filepath.Base(x))] = x
	}

	if _, err := os.Stat(diskFile); errors.Is(err, os.ErrNotExist) {
		if err := newSeedDisk(diskFile, body, epoch); err != nil {
			return nil, err
		}
		res.Created = true
	}
	f, err := os.Open(diskFile)
	if err != nil {
		return nil, fmt.Errorf("image: seed: %w", err)
	}
	l, err := gpt.Read(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("image: seed %s: %w", diskFile, err)
	}
	vol, err := fat.Read(f, l.PartStart)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("image: seed %s: %w", diskFile, err)
	}
	if err := vol.Tree.AddBytes(path.Join(SeedDir, "seed.toml"), body, 0o644); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, path.Join(SeedDir, "seed.toml"))
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(files[n])
		if err != nil {
			return nil, fmt.Errorf("image: seed: %w", err)
		}
		if err := vol.Tree.AddBytes(n, b, 0o644); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, n)
	}
	err = atomically(diskFile, func(tmp string) error {
		return writeGPTDisk(tmp, l, vol.Tree, vol.Label, vol.VolumeID, epoch)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// referencedFiles returns the string values of doc (at any depth) that name
// a regular file relative to base without leaving it.
func referencedFiles(doc any, base string) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case []map[string]any:
			for _, e := range x {
				walk(e)
			}
		case string:
			p := filepath.ToSlash(filepath.Clean(x))
			if x == "" || filepath.IsAbs(x) || p == "." || strings.HasPrefix(p, "../") || strings.ContainsAny(x, "\n\x00") {
				return
			}
			if st, err := os.Stat(filepath.Join(base, p)); err == nil && st.Mode().IsRegular() {
				seen[p] = true
			}
		}
	}
	walk(doc)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
