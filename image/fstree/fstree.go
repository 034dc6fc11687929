// Package fstree describes a root filesystem in memory (paths, modes, symlinks,
// device nodes, and where each file's bytes come from) so the cpio, tar and FAT
// writers can all emit the same tree in the same deterministic order.
package fstree

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Kind is the type of a tree entry.
type Kind int

// Entry kinds.
const (
	Dir Kind = iota
	File
	Symlink
	CharDev
)

// Entry is one node of the tree. Path is relative, slash separated, without a
// leading slash ("usr/sbin/haproxy").
type Entry struct {
	Path   string
	Kind   Kind
	Perm   fs.FileMode // Unix permission bits 0o7777 (setuid, setgid, sticky as 0o4000/0o2000/0o1000)
	Size   int64       // file size in bytes (File only)
	Source string      // host path holding the content (File, when Data is nil)
	Data   []byte      // in-memory content (File)
	Target string      // link target (Symlink)
	Major  uint32      // device numbers (CharDev)
	Minor  uint32
}

// Open returns the file's content.
func (e *Entry) Open() (io.ReadCloser, error) {
	if e.Kind != File {
		return nil, fmt.Errorf("fstree: open %s: not a regular file", e.Path)
	}
	if e.Data != nil || e.Source == "" {
		return io.NopCloser(bytes.NewReader(e.Data)), nil
	}
	f, err := os.Open(e.Source)
	if err != nil {
		return nil, fmt.Errorf("fstree: open %s: %w", e.Path, err)
	}
	return f, nil
}

// Tree is a set of entries keyed by path. Adding a path that exists replaces
// it (an overlay), except that a directory and a non-directory never replace
// each other.
type Tree struct {
	m map[string]*Entry
}

// New returns an empty tree.
func New() *Tree { return &Tree{m: map[string]*Entry{}} }

// Clean normalises p to the tree's relative form; "" is the root.
func Clean(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

func (t *Tree) put(e *Entry) error {
	e.Path = Clean(e.Path)
	if e.Path == "" {
		return fmt.Errorf("fstree: cannot add the root itself")
	}
	if err := t.mkParents(path.Dir(e.Path)); err != nil {
		return fmt.Errorf("fstree: add %s: %w", e.Path, err)
	}
	if old, ok := t.m[e.Path]; ok {
		if (old.Kind == Dir) != (e.Kind == Dir) {
			return fmt.Errorf("fstree: add %s: conflicts with existing entry of another kind", e.Path)
		}
		if e.Kind == Dir {
			old.Perm = e.Perm
			return nil
		}
	}
	t.m[e.Path] = e
	return nil
}

func (t *Tree) mkParents(dir string) error {
	if dir == "." || dir == "/" || dir == "" {
		return nil
	}
	if e, ok := t.m[dir]; ok {
		if e.Kind != Dir {
			return fmt.Errorf("parent %s is not a directory", dir)
		}
		return nil
	}
	if err := t.mkParents(path.Dir(dir)); err != nil {
		return err
	}
	t.m[dir] = &Entry{Path: dir, Kind: Dir, Perm: 0o755}
	return nil
}

// AddDir adds a directory (and its parents).
func (t *Tree) AddDir(p string, perm fs.FileMode) error {
	return t.put(&Entry{Path: p, Kind: Dir, Perm: unixPerm(perm)})
}

// AddFile adds a regular file whose content is read from src when written.
func (t *Tree) AddFile(p, src string, perm fs.FileMode) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("fstree: add %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("fstree: add %s: source %s is not a regular file", p, src)
	}
	return t.put(&Entry{Path: p, Kind: File, Perm: unixPerm(perm), Size: st.Size(), Source: src})
}

// AddBytes adds a regular file with the given content.
func (t *Tree) AddBytes(p string, data []byte, perm fs.FileMode) error {
	if data == nil {
		data = []byte{}
	}
	return t.put(&Entry{Path: p, Kind: File, Perm: unixPerm(perm), Size: int64(len(data)), Data: data})
}

// AddSymlink adds a symbolic link.
func (t *Tree) AddSymlink(p, target string) error {
	if target == "" {
		return fmt.Errorf("fstree: add %s: empty symlink target", p)
	}
	return t.put(&Entry{Path: p, Kind: Symlink, Perm: 0o777, Target: target})
}

// AddCharDev adds a character device node (only the cpio writer emits these).
func (t *Tree) AddCharDev(p string, perm fs.FileMode, major, minor uint32) error {
	return t.put(&Entry{Path: p, Kind: CharDev, Perm: unixPerm(perm), Major: major, Minor: minor})
}

// Get returns the entry at p.
func (t *Tree) Get(p string) (*Entry, bool) {
	e, ok := t.m[Clean(p)]
	return e, ok
}

// Len is the number of entries.
func (t *Tree) Len() int { return len(t.m) }

// Entries returns all entries sorted so that every directory comes before its
// contents and siblings are in byte order: the order every writer uses.
func (t *Tree) Entries() []*Entry {
	out := make([]*Entry, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return Less(out[i].Path, out[j].Path) })
	return out
}

// Less orders paths component by component, so "a/b" < "a.b" (a parent's
// contents stay together right after it).
func Less(a, b string) bool {
	return strings.ReplaceAll(a, "/", "\x00") < strings.ReplaceAll(b, "/", "\x00")
}

// AddHostDir copies a host directory tree into the tree under prefix, keeping
// symlinks. Modes are normalised as git would keep them (directories 0755,
// files 0755 if any execute bit is set, else 0644), so the result does not
// depend on the umask of the checkout. Other file types are an error.
func (t *Tree) AddHostDir(hostDir, prefix string) error {
	return walkHost(hostDir, func(rel string, d fs.DirEntry, full string) error {
		dst := path.Join(prefix, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return t.AddDir(dst, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return err
			}
			return t.AddSymlink(dst, target)
		case info.Mode().IsRegular():
			perm := fs.FileMode(0o644)
			if info.Mode().Perm()&0o111 != 0 {
				perm = 0o755
			}
			return t.AddFile(dst, full, perm)
		default:
			return fmt.Errorf("fstree: %s: unsupported file type %v", full, info.Mode().Type())
		}
	})
}

func walkHost(root string, fn func(rel string, d fs.DirEntry, full string) error) error {
	return fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("fstree: walk %s: %w", root, err)
		}
		if p == "." {
			return nil
		}
		return fn(p, d, path.Join(root, p))
	})
}

// unixPerm keeps the low 12 Unix mode bits, mapping Go's setuid/setgid/sticky
// flags onto them so both 0o1777 and fs.ModeSticky|0o777 mean the same.
func unixPerm(m fs.FileMode) fs.FileMode {
	p := m & 0o7777
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}
