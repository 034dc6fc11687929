// Package cpio writes and reads the "newc" cpio format the Linux kernel
// unpacks as an initramfs. The writer is deterministic: inode numbers count up
// from 1 in tree order, owners are 0, and every mtime is the one given.
package cpio

import (
	"bufio"
	"fmt"
	"io"

	"tandem/image/fstree"
)

const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeCharDev = 0o020000
	trailer     = "TRAILER!!!"
)

// Writer emits newc records.
type Writer struct {
	w     *bufio.Writer
	n     int64 // bytes written, for padding
	ino   uint32
	mtime int64
}

// NewWriter returns a Writer stamping every record with mtime (Unix seconds).
func NewWriter(w io.Writer, mtime int64) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), mtime: mtime}
}

// Header is one record's metadata.
type Header struct {
	Name         string // relative path, no leading slash
	Mode         uint32 // type and permission bits, as in stat(2)
	Size         int64
	Major, Minor uint32 // device numbers for device nodes
}

func (cw *Writer) write(p []byte) error {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return err
}

func (cw *Writer) pad() error {
	if r := cw.n % 4; r != 0 {
		return cw.write(make([]byte, 4-r))
	}
	return nil
}

// WriteHeader writes a record header; the caller then writes exactly Size
// bytes of content with Write.
func (cw *Writer) WriteHeader(h Header) error {
	if h.Size < 0 || h.Size > 0xffffffff {
		return fmt.Errorf("cpio: %s: size %d does not fit newc", h.Name, h.Size)
	}
	cw.ino++
	nlink := 1
	if h.Mode&0o170000 == modeDir {
		nlink = 2
	}
	name := h.Name + "\x00"
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		cw.ino, h.Mode, 0, 0, nlink, uint32(cw.mtime), uint32(h.Size),
		0, 0, h.Major, h.Minor, len(name), 0)
	if err := cw.write([]byte(hdr + name)); err != nil {
		return fmt.Errorf("cpio: write header %s: %w", h.Name, err)
	}
	return cw.pad()
}

// Write writes record content.
func (cw *Writer) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// EndRecord pads after a record's content.
func (cw *Writer) EndRecord() error { return cw.pad() }

// Close writes the trailer and flushes. It does not close the underlying writer.
func (cw *Writer) Close() error {
	cw.ino = 0 // the trailer carries inode 0 like GNU cpio
	if err := cw.WriteHeader(Header{Name: trailer}); err != nil {
		return err
	}
	return cw.w.Flush()
}

// WriteTree writes every entry of t in tree order, then the trailer.
func WriteTree(w io.Writer, t *fstree.Tree, mtime int64) error {
	cw := NewWriter(w, mtime)
	for _, e := range t.Entries() {
		if err := writeEntry(cw, e); err != nil {
			return err
		}
	}
	return cw.Close()
}

func writeEntry(cw *Writer, e *fstree.Entry) error {
	perm := uint32(e.Perm & 0o7777)
	switch e.Kind {
	case fstree.Dir:
		return cw.WriteHeader(Header{Name: e.Path, Mode: modeDir | perm})
	case fstree.Symlink:
		if err := cw.WriteHeader(Header{Name: e.Path, Mode: modeSymlink | 0o777, Size: int64(len(e.Target))}); err != nil {
			return err
		}
		if _, err := cw.Write([]byte(e.Target)); err != nil {
			return fmt.Errorf("cpio: write %s: %w", e.Path, err)
		}
		return cw.EndRecord()
	case fstree.CharDev:
		return cw.WriteHeader(Header{Name: e.Path, Mode: modeCharDev | perm, Major: e.Major, Minor: e.Minor})
	case fstree.File:
		if err := cw.WriteHeader(Header{Name: e.Path, Mode: modeFile | perm, Size: e.Size}); err != nil {
			return err
		}
		r, err := e.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		n, err := io.Copy(cw, r)
		if err != nil {
			return fmt.Errorf("cpio: copy %s: %w", e.Path, err)
		}
		if n != e.Size {
			return fmt.Errorf("cpio: %s changed size while writing (%d, want %d)", e.Path, n, e.Size)
		}
		return cw.EndRecord()
	}
	return fmt.Errorf("cpio: %s: unknown entry kind %d", e.Path, e.Kind)
}
