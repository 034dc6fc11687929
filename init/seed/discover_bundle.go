package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// SeedFile is the seed's name inside a seed folder: tandem/ on the TANDEM
// volume and in the state directory, opt/tandem/ in fw_cfg.
const SeedFile = "seed.toml"

// bundle is a seed and the files it names, as read from one source, keyed
// by slash path relative to the seed's folder.
type bundle struct {
	files map[string][]byte
	// ref is haproxy.config_file as written, or empty.
	ref string
}

func (b *bundle) equal(o *bundle) bool {
	if b == nil || o == nil || len(b.files) != len(o.files) {
		return false
	}
	for k, v := range b.files {
		if w, ok := o.files[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// referencedFile returns haproxy.config_file from a seed without
// validating anything else; a seed that does not parse names nothing, and
// validation will report why.
func referencedFile(data []byte) string {
	var doc struct {
		HAProxy struct {
			ConfigFile any `toml:"config_file"`
		} `toml:"haproxy"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return ""
	}
	s, _ := doc.HAProxy.ConfigFile.(string)
	return s
}

// localRef reports whether a config_file can travel with its seed: a
// relative path that stays inside the seed's folder.
func localRef(ref string) bool {
	return ref != "" && !strings.Contains(ref, "\\") && filepath.IsLocal(ref) && fs.ValidPath(path.Clean(ref))
}

// readBundle reads the seed seedName and the file it names through get,
// which maps a slash path relative to the seed's folder to its contents.
// The seed is kept as SeedFile whatever its name. It returns (nil, nil)
// when there is no seed at all.
func readBundle(seedName string, get func(name string) ([]byte, error)) (*bundle, error) {
	data, err := get(seedName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b := &bundle{files: map[string][]byte{SeedFile: data}, ref: referencedFile(data)}
	if !localRef(b.ref) {
		return b, nil
	}
	ref := path.Clean(b.ref)
	if ref == SeedFile {
		return b, nil
	}
	data, err = get(ref)
	if errors.Is(err, fs.ErrNotExist) {
		// Validation reports the missing file against the seed's line.
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	b.files[ref] = data
	return b, nil
}

// readFSBounded reads a file from fsys, refusing one larger than MaxSize.
// It does not trust the size a file reports (sysfs files report none).
func readFSBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s is more than the %d bytes allowed", name, MaxSize)
	}
	return data, nil
}

// writeTo writes the bundle's files into dir, which must exist.
func (b *bundle) writeTo(dir string, sync bool) error {
	for name, data := range b.files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFile(p, data, sync); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, data []byte, sync bool) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// validate checks a bundle read from a source that is not a folder on
// disk: it copies the files into a fresh folder under tmp and loads the seed
// from there, so config_file resolves exactly as it would at the source.
// Problems name display (e.g. "/dev/sdb1:tandem/") instead of the folder.
// On success the folder is returned and left for the caller to remove.
func (b *bundle) validate(ctx context.Context, tmp, display string, opts Options) (*Config, string, error) {
	if b.ref != "" && !localRef(b.ref) {
		return nil, "", Problems{{File: display + SeedFile, Line: 1, Col: 1, Key: "haproxy.config_file",
			Msg: fmt.Sprintf("%q must be a relative path next to the seed on this source", b.ref)}}
	}
	// The staging parent may live on a fresh tmpfs (PID 1's /run).
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, "", fmt.Errorf("seed: stage %s: %w", display, err)
	}
	dir, err := os.MkdirTemp(tmp, "tandem-seed-")
	if err != nil {
		return nil, "", fmt.Errorf("seed: stage %s: %w", display, err)
	}
	if err := b.writeTo(dir, false); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("seed: stage %s: %w", display, err)
	}
	c, err := Load(ctx, filepath.Join(dir, SeedFile), opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", relabel(err, dir+string(filepath.Separator), display)
	}
	return c, dir, nil
}

// relabel replaces the staging folder in problems' file names.
func relabel(err error, from, to string) error {
	var ps Problems
	if !errors.As(err, &ps) {
		return err
	}
	out := make(Problems, len(ps))
	for i, p := range ps {
		p.File = strings.Replace(p.File, from, to, 1)
		p.Msg = strings.ReplaceAll(p.Msg, from, to)
		out[i] = p
	}
	return out
}
