package fatfs

import (
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"
)

// Directory entry attributes.
const (
	attrReadOnly  = 0x01
	attrHidden    = 0x02
	attrSystem    = 0x04
	attrVolumeID  = 0x08
	attrDirectory = 0x10
	attrLongName  = attrReadOnly | attrHidden | attrSystem | attrVolumeID
)

// entry is one directory entry, with its long name resolved.
type entry struct {
	name    string
	attr    byte
	cluster uint32
	size    uint32
	mod     time.Time
}

func (e entry) isDir() bool { return e.attr&attrDirectory != 0 }

// dir is a parsed directory: its files and subdirectories, and the volume
// label entry when it is the root.
type dir []entry

func (d dir) label() (string, bool) {
	for _, e := range d {
		if e.attr&attrVolumeID != 0 && e.attr&attrDirectory == 0 {
			return e.name, true
		}
	}
	return "", false
}

// lookup finds name case-insensitively among files and directories.
func (d dir) lookup(name string) (entry, bool) {
	for _, e := range d {
		if e.attr&attrVolumeID == 0 && strings.EqualFold(e.name, name) {
			return e, true
		}
	}
	return entry{}, false
}

// files are the entries other than the volume label.
func (d dir) files() []entry {
	var out []entry
	for _, e := range d {
		if e.attr&attrVolumeID == 0 {
			out = append(out, e)
		}
	}
	return out
}

// lfn accumulates the long-name entries that precede a short entry.
type lfn struct {
	units    []uint16
	checksum byte
	next     int // the sequence number expected next; 0 when complete
	valid    bool
}

func (l *lfn) reset() { *l = lfn{} }

func (l *lfn) add(b []byte) {
	seq := int(b[0] & 0x1F)
	if b[0]&0x40 != 0 {
		// The last part comes first; it sizes the name.
		l.reset()
		if seq == 0 {
			return
		}
		l.units = make([]uint16, seq*13)
		l.checksum = b[13]
		l.valid = true
		l.next = seq
	}
	if !l.valid || seq != l.next || b[13] != l.checksum || seq == 0 {
		l.reset()
		return
	}
	u := l.units[(seq-1)*13:]
	k := 0
	for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
		for o := r[0]; o < r[1]; o += 2 {
			u[k] = binary.LittleEndian.Uint16(b[o:])
			k++
		}
	}
	l.next--
}

// name returns the long name if it is complete and belongs to the short
// entry with the given 11-byte name.
func (l *lfn) name(short []byte) (string, bool) {
	if !l.valid || l.next != 0 || shortChecksum(short) != l.checksum {
		return "", false
	}
	units := l.units
	for i, u := range units {
		if u == 0 {
			units = units[:i]
			break
		}
	}
	return string(utf16.Decode(units)), true
}

func shortChecksum(short []byte) byte {
	var sum byte
	for _, c := range short[:11] {
		sum = (sum&1)<<7 + sum>>1 + c
	}
	return sum
}

// shortName decodes an 8.3 name, honouring the lower-case flags that
// Windows and mtools set in NTRes.
func shortName(b []byte, ntres byte) string {
	raw := append([]byte(nil), b[:11]...)
	if raw[0] == 0x05 {
		raw[0] = 0xE5
	}
	base := strings.TrimRight(oemString(raw[:8]), " ")
	ext := strings.TrimRight(oemString(raw[8:11]), " ")
	if ntres&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if ntres&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// parseDir parses raw directory entries. Garbage is skipped, never fatal:
// entries with names that cannot be a path element are dropped.
func parseDir(buf []byte) dir {
	var d dir
	var l lfn
	for off := 0; off+32 <= len(buf); off += 32 {
		b := buf[off : off+32]
		switch {
		case b[0] == 0x00:
			return d
		case b[0] == 0xE5:
			l.reset()
			continue
		case b[11]&0x3F == attrLongName:
			l.add(b)
			continue
		}
		attr := b[11]
		if attr&attrVolumeID != 0 && attr&attrDirectory == 0 {
			d = append(d, entry{name: label(b[:11]), attr: attr})
			l.reset()
			continue
		}
		name, ok := l.name(b)
		if !ok {
			name = shortName(b, b[12])
		}
		l.reset()
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
			continue
		}
		d = append(d, entry{
			name:    name,
			attr:    attr,
			cluster: uint32(binary.LittleEndian.Uint16(b[20:]))<<16 | uint32(binary.LittleEndian.Uint16(b[26:])),
			size:    binary.LittleEndian.Uint32(b[28:]),
			mod:     fatTime(binary.LittleEndian.Uint16(b[24:]), binary.LittleEndian.Uint16(b[22:])),
		})
	}
	return d
}

// fatTime decodes a FAT date and time; FAT keeps local time without a zone,
// so it is reported as UTC.
func fatTime(date, tod uint16) time.Time {
	if date == 0 {
		return time.Time{}
	}
	return time.Date(1980+int(date>>9), time.Month(date>>5&0x0F), int(date&0x1F),
		int(tod>>11), int(tod>>5&0x3F), int(tod&0x1F)*2, 0, time.UTC)
}
