package cpio

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// Record is one record read back from an archive.
type Record struct {
	Header
	Ino   uint32
	Mtime int64
	UID   uint32
	GID   uint32
	Data  []byte
}

// ReadAll reads newc records up to the trailer. Meant for tests and
// inspection: contents are held in memory.
func ReadAll(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var off int64
	read := func(n int64) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		off += n
		return b, nil
	}
	skipPad := func() error {
		if rem := off % 4; rem != 0 {
			_, err := read(4 - rem)
			return err
		}
		return nil
	}
	var out []Record
	for {
		hdr, err := read(110)
		if err != nil {
			return out, fmt.Errorf("cpio: read header at %d: %w", off, err)
		}
		if string(hdr[:6]) != "070701" {
			return out, fmt.Errorf("cpio: bad magic %q at %d", hdr[:6], off-110)
		}
		f := make([]uint32, 13)
		for i := range f {
			v, err := strconv.ParseUint(string(hdr[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				return out, fmt.Errorf("cpio: bad header field %d at %d: %w", i, off-110, err)
			}
			f[i] = uint32(v)
		}
		name, err := read(int64(f[11]))
		if err != nil || len(name) == 0 {
			return out, fmt.Errorf("cpio: read name: %v", err)
		}
		if err := skipPad(); err != nil {
			return out, err
		}
		rec := Record{Ino: f[0], UID: f[2], GID: f[3], Mtime: int64(f[5])}
		rec.Name = string(name[:len(name)-1])
		rec.Mode = f[1]
		rec.Size = int64(f[6])
		rec.Major, rec.Minor = f[9], f[10]
		if rec.Name == trailer {
			return out, nil
		}
		if rec.Data, err = read(rec.Size); err != nil {
			return out, fmt.Errorf("cpio: read %s: %w", rec.Name, err)
		}
		if err := skipPad(); err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}
