package deb

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Unpack extracts the data.tar of the .deb at file into dir. Paths that
// would leave dir are refused. Ownership is not kept (the builder fixes it).
func Unpack(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("deb: %w", err)
	}
	defer f.Close()
	if err := unpack(f, dir); err != nil {
		return fmt.Errorf("deb: unpack %s: %w", filepath.Base(file), err)
	}
	return nil
}

func unpack(r io.Reader, dir string) error {
	name, member, err := arMember(r, "data.tar")
	if err != nil {
		return err
	}
	var tr io.Reader
	switch {
	case strings.HasSuffix(name, ".xz"):
		xr, err := xz.NewReader(member)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		tr = xr
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(member)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		tr = zr
	case strings.HasSuffix(name, ".gz"):
		gr, err := gzip.NewReader(member)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		tr = gr
	case name == "data.tar":
		tr = member
	default:
		return fmt.Errorf("unsupported member %s", name)
	}
	return extractTar(tar.NewReader(tr), dir)
}

func extractTar(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		rel := path.Clean("/" + h.Name)
		if rel == "/" {
			continue
		}
		// Cleaning against "/" keeps every name inside dir ("../x" → "/x").
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		perm := os.FileMode(h.Mode & 0o777)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(dst, perm|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(dst, tr, perm); err != nil {
				return fmt.Errorf("%s: %w", h.Name, err)
			}
		case tar.TypeSymlink:
			os.Remove(dst)
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		case tar.TypeLink:
			src := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+h.Linkname)))
			os.Remove(dst)
			if err := os.Link(src, dst); err != nil {
				return fmt.Errorf("hard link %s: %w", h.Name, err)
			}
		default:
			// Device nodes and fifos do not occur in the packages we use.
		}
	}
}

func writeFile(dst string, r io.Reader, perm os.FileMode) error {
	os.Remove(dst)
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, perm)
}
