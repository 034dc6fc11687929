package isofs

import (
	"fmt"
	"strings"
)

// maxDirBytes bounds one directory read, on top of the volume's size.
const maxDirBytes = 16 << 20

// entry is a file or directory with its name resolved.
type entry struct {
	record
	name string
	// relocated means record.lba is a directory moved by Rock Ridge deep
	// directory relocation (CL): its size is in its own "." record.
	relocated bool
}

// dir is a parsed directory, in on-disk order.
type dir []entry

// lookup finds name case-insensitively.
func (d dir) lookup(name string) (entry, bool) {
	for _, e := range d {
		if strings.EqualFold(e.name, name) {
			return e, true
		}
	}
	return entry{}, false
}

// readDir reads and parses the directory whose extent rec describes.
func (f *FS) readDir(rec record) (dir, error) {
	if rec.size > maxDirBytes {
		return nil, fmt.Errorf("isofs: directory at block %d claims %d bytes", rec.lba, rec.size)
	}
	if err := f.checkExtent(rec); err != nil {
		return nil, fmt.Errorf("isofs: directory: %w", err)
	}
	buf := make([]byte, rec.size)
	if _, err := f.r.ReadAt(buf, f.offset(rec)); err != nil {
		return nil, fmt.Errorf("isofs: read directory at block %d: %w", rec.lba, err)
	}
	return f.parseDir(buf), nil
}

// dirRecord returns the extent of a directory entry. A Rock Ridge child
// link only gives the block of the relocated directory; its "." record
// there gives the size.
func (f *FS) dirRecord(e entry) (record, error) {
	if !e.relocated {
		return e.record, nil
	}
	start := int64(e.lba) * f.blockSize
	if start > f.size-f.blockSize {
		return record{}, fmt.Errorf("isofs: relocated directory at block %d is past the end of the volume", e.lba)
	}
	buf := make([]byte, f.blockSize)
	if _, err := f.r.ReadAt(buf, start); err != nil {
		return record{}, fmt.Errorf("isofs: read relocated directory at block %d: %w", e.lba, err)
	}
	dot, ok := parseRecord(buf)
	if !ok || !dot.isDotOrDotDot() || !dot.dir || dot.lba != e.lba {
		return record{}, fmt.Errorf("isofs: no directory at relocated block %d", e.lba)
	}
	dot.mod = e.mod
	return dot, nil
}

// parseDir parses the records of a directory. Records never cross a block
// boundary; a zero length byte, or a record that does not fit, moves on to
// the next block, so every step advances and garbage is skipped, never
// fatal.
func (f *FS) parseDir(buf []byte) dir {
	var d dir
	s := suspReader{f: f, budget: ceBudgetBase}
	bs := int(f.blockSize)
	for pos := 0; pos < len(buf); {
		end := min(len(buf), (pos/bs+1)*bs)
		rec, ok := parseRecord(buf[pos:end])
		if !ok {
			pos = end
			continue
		}
		pos += int(buf[pos])
		s.budget++
		if rec.isDotOrDotDot() || rec.associated {
			continue
		}
		e := entry{record: rec}
		switch f.naming {
		case plainNames:
			e.name = plainName(rec.id)
		case jolietNames:
			e.name = jolietName(rec.id)
		case rockRidgeNames:
			rr := s.read(rec.sua, f.suspSkip)
			if rr.relocated {
				continue // listed where its CL entry is
			}
			e.name = rr.name
			if e.name == "" {
				e.name = plainName(rec.id)
			}
			if rr.hasChild {
				e.dir, e.relocated, e.lba, e.earLen = true, true, rr.child, 0
			}
		}
		if !validName(e.name) {
			continue
		}
		// The later extents of a multi-extent file repeat its name.
		if n := len(d); n > 0 && d[n-1].multiExtent && string(d[n-1].id) == string(rec.id) {
			continue
		}
		d = append(d, e)
	}
	return d
}
