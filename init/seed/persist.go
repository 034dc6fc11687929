package seed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PersistDir is the folder under the state directory that holds the
// persisted seed and the files it names. Seed persistence owns it: it is
// replaced as a whole. The state directory must not be the root of the
// TANDEM volume itself, or the persisted copy would be the operator's file
// (use a subfolder such as <volume>/state).
const PersistDir = "tandem"

// PersistedSeedPath returns where the persisted seed lives.
func PersistedSeedPath(stateDir string) string {
	return filepath.Join(stateDir, PersistDir, SeedFile)
}

// persist replaces <stateDir>/tandem with the bundle, atomically as far as
// the file system allows: the new folder is written and synced beside the
// old one, then renamed into place. A crash between the two renames leaves
// tandem.old, which recoverPersisted puts back.
func persist(stateDir string, b *bundle) error {
	if err := recoverPersisted(stateDir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(stateDir, PersistDir+".new-")
	if err != nil {
		return fmt.Errorf("seed: persist: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := b.writeTo(tmp, true); err != nil {
		return fmt.Errorf("seed: persist: %w", err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("seed: persist: %w", err)
	}
	cur := filepath.Join(stateDir, PersistDir)
	old := cur + ".old"
	if err := os.Rename(cur, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("seed: persist: %w", err)
	}
	if err := os.Rename(tmp, cur); err != nil {
		return fmt.Errorf("seed: persist: %w", err)
	}
	if err := syncDir(stateDir); err != nil {
		return fmt.Errorf("seed: persist: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("seed: persist: remove the previous seed: %w", err)
	}
	return syncDir(stateDir)
}

// recoverPersisted finishes or undoes an interrupted persist.
func recoverPersisted(stateDir string) error {
	cur := filepath.Join(stateDir, PersistDir)
	old := cur + ".old"
	if _, err := os.Stat(cur); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(old); err == nil {
			if err := os.Rename(old, cur); err != nil {
				return fmt.Errorf("seed: restore the persisted seed: %w", err)
			}
		}
	}
	entries, err := os.ReadDir(stateDir)
	if err != nil {
		return fmt.Errorf("seed: state directory: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, PersistDir+".new-") || n == PersistDir+".old" {
			if err := os.RemoveAll(filepath.Join(stateDir, n)); err != nil {
				return fmt.Errorf("seed: remove %s: %w", n, err)
			}
		}
	}
	return nil
}

// readPersisted reads the persisted seed; (nil, nil) when there is none.
func readPersisted(stateDir string) (*bundle, error) {
	if err := recoverPersisted(stateDir); err != nil {
		return nil, err
	}
	fsys := os.DirFS(filepath.Join(stateDir, PersistDir))
	return readBundle(SeedFile, func(name string) ([]byte, error) { return readFSBounded(fsys, name) })
}

func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
