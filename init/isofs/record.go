package isofs

import (
	"strings"
	"time"
)

// File flags of a directory record.
const (
	flagDirectory   = 0x02
	flagAssociated  = 0x04
	flagMultiExtent = 0x80
)

// minRecord is the smallest directory record: 33 fixed bytes and a
// one-byte identifier.
const minRecord = 34

// record is one directory record, as stored.
type record struct {
	id          []byte // the file identifier, undecoded
	lba         uint32 // first logical block of the extent
	earLen      uint8  // extended attribute record length, in blocks, before the data
	size        uint32
	dir         bool
	associated  bool
	multiExtent bool
	interleaved bool
	mod         time.Time
	sua         []byte // the system use area (SUSP entries), if any
}

// parseRecord parses the directory record at the start of b; b may be
// longer than the record. It reports false when the record does not fit.
func parseRecord(b []byte) (record, bool) {
	if len(b) < minRecord {
		return record{}, false
	}
	l := int(b[0])
	n := int(b[32])
	if l < minRecord || l > len(b) || n == 0 || 33+n > l {
		return record{}, false
	}
	rec := record{
		id:          b[33 : 33+n],
		earLen:      b[1],
		lba:         le32(b[2:]),
		size:        le32(b[10:]),
		mod:         recordTime(b[18:25]),
		dir:         b[25]&flagDirectory != 0,
		associated:  b[25]&flagAssociated != 0,
		multiExtent: b[25]&flagMultiExtent != 0,
		interleaved: b[26] != 0 || b[27] != 0,
	}
	// A padding byte follows an even-length identifier.
	if start := 33 + n + (n+1)%2; start < l {
		rec.sua = b[start:l]
	}
	return rec, true
}

// isDotOrDotDot tells the records for the directory itself (identifier
// 0x00) and its parent (0x01).
func (r record) isDotOrDotDot() bool {
	return len(r.id) == 1 && (r.id[0] == 0 || r.id[0] == 1)
}

// recordTime decodes the 7-byte recording date: years since 1900, month,
// day, hour, minute, second, and the offset from GMT in 15-minute units.
func recordTime(b []byte) time.Time {
	if b[1] < 1 || b[1] > 12 || b[2] < 1 || b[2] > 31 {
		return time.Time{}
	}
	off := int(int8(b[6]))
	if off < -48 || off > 52 {
		off = 0
	}
	return time.Date(1900+int(b[0]), time.Month(b[1]), int(b[2]),
		int(b[3]), int(b[4]), int(b[5]), 0, time.FixedZone("", off*15*60))
}

// plainName turns an ISO9660 identifier into a file name the way Linux
// does by default: drop the ";1" version and the "." of a name without an
// extension, and use lower case. Bytes beyond ASCII are read as Latin-1.
func plainName(id []byte) string {
	var sb strings.Builder
	for _, c := range id {
		sb.WriteRune(rune(c))
	}
	return strings.ToLower(trimVersion(sb.String()))
}

// jolietName decodes a Joliet (UCS-2 big-endian) identifier.
func jolietName(id []byte) string { return trimVersion(ucs2(id)) }

// trimVersion drops a ";<version>" suffix and then one trailing dot;
// neither ISO9660 nor Joliet allows ';' anywhere else in a name.
func trimVersion(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// validName reports whether name can be a path element.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}
