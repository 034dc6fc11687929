package isofs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

var (
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
)

var errDirLoop = errors.New("isofs: directory loop")

// rootEntry is the entry for ".".
func (f *FS) rootEntry() entry { return entry{record: f.root, name: "."} }

// resolve walks name from the root.
func (f *FS) resolve(op, name string) (entry, error) {
	if !fs.ValidPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return f.rootEntry(), nil
	}
	d, err := f.readDir(f.root)
	if err != nil {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	// seen guards against a corrupt directory that contains its ancestor.
	seen := map[uint32]bool{f.root.lba: true}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		e, ok := d.lookup(p)
		if !ok {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if i == len(parts)-1 {
			return e, nil
		}
		if !e.dir {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		rec, err := f.dirRecord(e)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if seen[rec.lba] {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: errDirLoop}
		}
		seen[rec.lba] = true
		if d, err = f.readDir(rec); err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Open opens a file or directory; names use forward slashes and match
// case-insensitively.
func (f *FS) Open(name string) (fs.File, error) {
	e, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	h := &file{fs: f, e: e}
	if e.dir {
		rec, err := f.dirRecord(e)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		if h.entries, err = f.readDir(rec); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return h, nil
	}
	switch {
	case e.multiExtent:
		err = ErrMultiExtent
	case e.interleaved:
		err = errors.New("isofs: interleaved files are not supported")
	default:
		err = f.checkExtent(e.record)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return h, nil
}

// ReadDir lists a directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	h, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	d := h.(*file)
	if !d.e.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	list, err := d.ReadDir(-1)
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, err
}

// ReadFile reads a whole file. Open has checked that it lies inside the
// volume, so the allocation is bounded by the volume's size.
func (f *FS) ReadFile(name string) ([]byte, error) {
	h, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	d := h.(*file)
	if d.e.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	buf := make([]byte, d.e.size)
	if _, err := io.ReadFull(h, buf); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return buf, nil
}

// Stat describes a file or directory.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	e, err := f.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return info{e}, nil
}

// file is an open file or directory.
type file struct {
	fs      *FS
	e       entry
	off     int64
	entries dir // directories: the entries not yet returned by ReadDir
	closed  bool
}

func (h *file) Stat() (fs.FileInfo, error) { return info{h.e}, nil }

func (h *file) Close() error {
	if h.closed {
		return fs.ErrClosed
	}
	h.closed = true
	return nil
}

func (h *file) Read(p []byte) (int, error) {
	if h.closed {
		return 0, fs.ErrClosed
	}
	if h.e.dir {
		return 0, &fs.PathError{Op: "read", Path: h.e.name, Err: errors.New("is a directory")}
	}
	size := int64(h.e.size)
	if h.off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	k := min(int64(len(p)), size-h.off)
	n, err := h.fs.r.ReadAt(p[:k], h.fs.offset(h.e.record)+h.off)
	h.off += int64(n)
	if err != nil && (n < int(k) || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return n, fmt.Errorf("isofs: read %s: %w", h.e.name, err)
	}
	return n, nil
}

// ReadDir implements fs.ReadDirFile.
func (h *file) ReadDir(n int) ([]fs.DirEntry, error) {
	if !h.e.dir {
		return nil, &fs.PathError{Op: "readdir", Path: h.e.name, Err: errors.New("not a directory")}
	}
	k := len(h.entries)
	if n > 0 && n < k {
		k = n
	}
	out := make([]fs.DirEntry, k)
	for i := range out {
		out[i] = fs.FileInfoToDirEntry(info{h.entries[i]})
	}
	h.entries = h.entries[k:]
	if n > 0 && k == 0 {
		return out, io.EOF
	}
	return out, nil
}

// info is an fs.FileInfo for an entry.
type info struct{ e entry }

func (i info) Name() string { return path.Base(i.e.name) }
func (i info) Size() int64 {
	if i.e.dir {
		return 0
	}
	return int64(i.e.size)
}
func (i info) Mode() fs.FileMode {
	if i.e.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i info) ModTime() time.Time { return i.e.mod }
func (i info) IsDir() bool        { return i.e.dir }
func (i info) Sys() any           { return nil }
