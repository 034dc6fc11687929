package isofs

import (
	"fmt"
	"strings"
)

// Bounds on the System Use Sharing Protocol (SUSP) continuation areas, so
// that a corrupt volume cannot make a directory read loop or balloon.
const (
	maxCEHops = 8 // continuation areas followed for one record
	// ceBudgetBase plus one per record is how many continuation areas one
	// directory may read: a real record needs at most one.
	ceBudgetBase = 16
	maxNameBytes = 4 * 255 // longer Rock Ridge names are ignored
	nmContinue   = 0x01    // NM: the name continues in the next NM entry
	nmCurrentDir = 0x02    // NM: the name is "."
	nmParentDir  = 0x04    // NM: the name is ".."
	nmDotNames   = nmCurrentDir | nmParentDir
	spCheck      = "\xBE\xEF" // SP: the check bytes
)

// rrInfo is what a record's SUSP entries say.
type rrInfo struct {
	name      string // the Rock Ridge name; empty when none or incomplete
	relocated bool   // RE: a relocated directory, listed through its CL entry
	child     uint32 // CL: where the relocated directory really is
	hasChild  bool
	rockRidge bool // saw an entry that only Rock Ridge writes
	hasSP     bool // the first entry is a valid SP
	spSkip    int
}

// suspReader reads SUSP entries, following continuation (CE) areas within
// a per-directory budget.
type suspReader struct {
	f      *FS
	budget int
}

// read parses the system use area of one record; skip is LEN_SKP.
func (s *suspReader) read(sua []byte, skip int) rrInfo {
	var info rrInfo
	var name []byte
	nameDone, nameBad := false, false
	if skip > len(sua) {
		return info
	}
	area := sua[skip:]
	if len(area) >= 7 && string(area[:2]) == "SP" && area[2] >= 7 && string(area[4:6]) == spCheck {
		info.hasSP, info.spSkip = true, int(area[6])
	}
	for hop := 0; ; hop++ {
		var ce []byte
	entries:
		for pos := 0; pos+4 <= len(area); {
			sig := string(area[pos : pos+2])
			l := int(area[pos+2])
			if l < 4 || pos+l > len(area) {
				break
			}
			data := area[pos+4 : pos+l]
			pos += l
			switch sig {
			case "NM":
				if len(data) < 1 || nameDone {
					continue
				}
				if data[0]&nmDotNames != 0 {
					nameBad = true
				}
				name = append(name, data[1:]...)
				if len(name) > maxNameBytes {
					nameBad = true
					name = name[:0]
				}
				nameDone = data[0]&nmContinue == 0
				info.rockRidge = true
			case "CE":
				if len(data) >= 20 {
					ce = data
				}
			case "RE":
				info.relocated = true
				info.rockRidge = true
			case "CL":
				if len(data) >= 4 {
					info.child, info.hasChild = le32(data), true
				}
				info.rockRidge = true
			case "ER", "RR", "PX":
				info.rockRidge = true
			case "ST":
				break entries
			}
		}
		if ce == nil || hop >= maxCEHops || s.budget <= 0 {
			break
		}
		s.budget--
		if area = s.f.continuation(le32(ce[0:]), le32(ce[8:]), le32(ce[16:])); area == nil {
			break
		}
	}
	if nameDone && !nameBad && len(name) > 0 {
		info.name = strings.ToValidUTF8(string(name), "\uFFFD")
	}
	return info
}

// continuation reads a CE area; nil when it is empty, crosses a block
// boundary (Linux refuses those too) or lies outside the volume, or cannot
// be read (the record then keeps what it had).
func (f *FS) continuation(lba, off, length uint32) []byte {
	if length == 0 || int64(off)+int64(length) > f.blockSize {
		return nil
	}
	start := int64(lba)*f.blockSize + int64(off)
	if start > f.size-int64(length) {
		return nil
	}
	b := make([]byte, length)
	if _, err := f.r.ReadAt(b, start); err != nil {
		return nil
	}
	return b
}

// rockRidge reports whether the tree under the primary root uses Rock
// Ridge: its "." record starts with a SUSP SP entry and carries Rock Ridge
// entries. It also returns the SP's LEN_SKP.
func (f *FS) rockRidge(root record) (int, bool, error) {
	n := min(int64(root.size), f.blockSize)
	buf := make([]byte, n)
	if _, err := f.r.ReadAt(buf, f.offset(root)); err != nil {
		return 0, false, fmt.Errorf("isofs: read root directory: %w", err)
	}
	dot, ok := parseRecord(buf)
	if !ok || !dot.isDotOrDotDot() {
		return 0, false, nil
	}
	s := suspReader{f: f, budget: maxCEHops}
	info := s.read(dot.sua, 0)
	if !info.hasSP {
		return 0, false, nil
	}
	if !info.rockRidge {
		// LEN_SKP applies to the other records, not to the one holding SP.
		return 0, false, nil
	}
	return info.spSkip, true, nil
}
