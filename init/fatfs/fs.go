package fatfs

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

// resolve walks name from the root. The root itself has a zero entry with
// isRoot set.
func (f *FS) resolve(op, name string) (entry, bool, error) {
	if !fs.ValidPath(name) {
		return entry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return entry{name: ".", attr: attrDirectory}, true, nil
	}
	d, err := f.readRoot()
	if err != nil {
		return entry{}, false, &fs.PathError{Op: op, Path: name, Err: err}
	}
	// seen guards against a corrupt directory that contains its ancestor.
	seen := map[uint32]bool{f.g.rootCluster: true}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		e, ok := d.lookup(p)
		if !ok {
			return entry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if i == len(parts)-1 {
			return e, false, nil
		}
		if !e.isDir() {
			return entry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if seen[e.cluster] {
			return entry{}, false, &fs.PathError{Op: op, Path: name, Err: errors.New("fatfs: directory loop")}
		}
		seen[e.cluster] = true
		if d, err = f.readDirCluster(e.cluster); err != nil {
			return entry{}, false, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	return entry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Open opens a file or directory; names use forward slashes and match
// case-insensitively.
func (f *FS) Open(name string) (fs.File, error) {
	e, root, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	h := &file{fs: f, info: info{e: e, root: root}}
	if e.isDir() {
		var d dir
		if root {
			d, err = f.readRoot()
		} else {
			d, err = f.readDirCluster(e.cluster)
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		h.entries = d.files()
		return h, nil
	}
	if int64(e.size) > f.size-f.g.dataOffset {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("fatfs: size %d is larger than the volume", e.size)}
	}
	if e.size > 0 {
		want := int((int64(e.size) + f.g.clusterSize - 1) / f.g.clusterSize)
		if h.chain, err = f.chain(e.cluster, want, want); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
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
	d, ok := h.(*file)
	if !ok || !d.info.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	list, err := d.ReadDir(-1)
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, err
}

// ReadFile reads a whole file.
func (f *FS) ReadFile(name string) ([]byte, error) {
	h, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	st, _ := h.Stat()
	if st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	buf := make([]byte, st.Size())
	if _, err := io.ReadFull(h, buf); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return buf, nil
}

// Stat describes a file or directory.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	e, root, err := f.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return info{e: e, root: root}, nil
}

// file is an open file or directory.
type file struct {
	fs      *FS
	info    info
	chain   []uint32
	off     int64
	entries []entry // directories: the entries not yet returned by ReadDir
	closed  bool
}

func (h *file) Stat() (fs.FileInfo, error) { return h.info, nil }

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
	if h.info.IsDir() {
		return 0, &fs.PathError{Op: "read", Path: h.info.Name(), Err: errors.New("is a directory")}
	}
	size := int64(h.info.e.size)
	cs := h.fs.g.clusterSize
	n := 0
	for n < len(p) && h.off < size {
		idx := h.off / cs
		within := h.off % cs
		k := min(int64(len(p)-n), cs-within, size-h.off)
		if idx >= int64(len(h.chain)) {
			return n, fmt.Errorf("fatfs: %s: offset %d past its cluster chain", h.info.Name(), h.off)
		}
		m, err := h.fs.r.ReadAt(p[n:n+int(k)], h.fs.clusterOffset(h.chain[idx])+within)
		n += m
		h.off += int64(m)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, fmt.Errorf("fatfs: read %s: %w", h.info.Name(), err)
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// ReadDir implements fs.ReadDirFile.
func (h *file) ReadDir(n int) ([]fs.DirEntry, error) {
	if !h.info.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: h.info.Name(), Err: errors.New("not a directory")}
	}
	k := len(h.entries)
	if n > 0 && n < k {
		k = n
	}
	out := make([]fs.DirEntry, k)
	for i := range out {
		out[i] = fs.FileInfoToDirEntry(info{e: h.entries[i]})
	}
	h.entries = h.entries[k:]
	if n > 0 && k == 0 {
		return out, io.EOF
	}
	return out, nil
}

// info is an fs.FileInfo for an entry.
type info struct {
	e    entry
	root bool
}

func (i info) Name() string {
	if i.root {
		return "."
	}
	return path.Base(i.e.name)
}
func (i info) Size() int64 {
	if i.IsDir() {
		return 0
	}
	return int64(i.e.size)
}
func (i info) Mode() fs.FileMode {
	if i.IsDir() {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i info) ModTime() time.Time { return i.e.mod }
func (i info) IsDir() bool        { return i.root || i.e.isDir() }
func (i info) Sys() any           { return nil }
