// Package gpt writes a GUID partition table with one partition: protective
// MBR, primary header and entries at LBA 1-33, backup entries and header at
// the end of the disk, CRC32s as the UEFI spec defines them.
package gpt

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

const (
	sectorSize = 512
	numEntries = 128
	entrySize  = 128
	entrySecs  = numEntries * entrySize / sectorSize // 32
	// Align is where the partition starts and the granularity of its size.
	Align = 1 << 20
)

// GUID is stored in the mixed-endian on-disk form's logical order
// (the string form), e.g. C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
type GUID [16]byte

// ESP is the EFI System Partition type.
var ESP = MustParse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

// MustParse parses a GUID string; it panics only on a malformed constant.
func MustParse(s string) GUID {
	g, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return g
}

// Parse parses "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX".
func Parse(s string) (GUID, error) {
	var g GUID
	var hex []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hex = append(hex, s[i])
		}
	}
	if len(hex) != 32 || len(s) != 36 {
		return g, fmt.Errorf("gpt: bad GUID %q", s)
	}
	for i := 0; i < 16; i++ {
		var v byte
		for _, c := range hex[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= c - '0'
			case c >= 'a' && c <= 'f':
				v |= c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v |= c - 'A' + 10
			default:
				return g, fmt.Errorf("gpt: bad GUID %q", s)
			}
		}
		g[i] = v
	}
	return g, nil
}

func (g GUID) String() string {
	return fmt.Sprintf("%X-%X-%X-%X-%X", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// bytes returns the on-disk encoding: the first three fields little-endian.
func (g GUID) bytes() []byte {
	b := make([]byte, 16)
	b[0], b[1], b[2], b[3] = g[3], g[2], g[1], g[0]
	b[4], b[5] = g[5], g[4]
	b[6], b[7] = g[7], g[6]
	copy(b[8:], g[8:])
	return b
}

func fromBytes(b []byte) GUID {
	var g GUID
	g[0], g[1], g[2], g[3] = b[3], b[2], b[1], b[0]
	g[4], g[5] = b[5], b[4]
	g[6], g[7] = b[7], b[6]
	copy(g[8:], b[8:16])
	return g
}

// Derive makes a version-4-shaped GUID from a hash of seed and purpose, so
// identical inputs give identical disks and different purposes differ.
func Derive(seed []byte, purpose string) GUID {
	h := sha256.Sum256(append([]byte(purpose+"\x00"), seed...))
	var g GUID
	copy(g[:], h[:16])
	g[6] = g[6]&0x0F | 0x40
	g[8] = g[8]&0x3F | 0x80
	return g
}

// Layout is a disk with one partition.
type Layout struct {
	DiskSize  int64 // bytes, multiple of 512
	PartStart int64 // bytes, multiple of 512 (normally Align)
	PartSize  int64 // bytes, multiple of 512
	DiskGUID  GUID
	PartGUID  GUID
	PartType  GUID
	PartName  string // up to 36 UTF-16 units
}

// NewLayout places one partition of partSize bytes at 1 MiB, with 1 MiB
// free at the end for the backup table, on a disk rounded to 1 MiB.
func NewLayout(partSize int64) Layout {
	partSize = (partSize + Align - 1) / Align * Align
	return Layout{DiskSize: partSize + 2*Align, PartStart: Align, PartSize: partSize, PartType: ESP}
}

// Write writes the protective MBR and both tables to w (the whole disk).
func Write(w io.WriterAt, l Layout) error {
	if l.DiskSize%sectorSize != 0 || l.PartStart%sectorSize != 0 || l.PartSize%sectorSize != 0 {
		return fmt.Errorf("gpt: sizes must be multiples of %d", sectorSize)
	}
	lastLBA := uint64(l.DiskSize/sectorSize - 1)
	firstUsable := uint64(2 + entrySecs)
	lastUsable := lastLBA - 1 - entrySecs
	start := uint64(l.PartStart / sectorSize)
	end := start + uint64(l.PartSize/sectorSize) - 1
	if start < firstUsable || end > lastUsable {
		return fmt.Errorf("gpt: partition LBA %d-%d outside usable %d-%d", start, end, firstUsable, lastUsable)
	}
	le := binary.LittleEndian

	mbr := make([]byte, sectorSize)
	p := mbr[446:]
	p[1], p[2], p[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	p[4] = 0xEE
	p[5], p[6], p[7] = 0xFF, 0xFF, 0xFF
	le.PutUint32(p[8:], 1)
	size := lastLBA
	if size > 0xFFFFFFFF {
		size = 0xFFFFFFFF
	}
	le.PutUint32(p[12:], uint32(size))
	mbr[510], mbr[511] = 0x55, 0xAA
	if _, err := w.WriteAt(mbr, 0); err != nil {
		return fmt.Errorf("gpt: write MBR: %w", err)
	}

	entries := make([]byte, numEntries*entrySize)
	copy(entries[0:], l.PartType.bytes())
	copy(entries[16:], l.PartGUID.bytes())
	le.PutUint64(entries[32:], start)
	le.PutUint64(entries[40:], end)
	name := utf16.Encode([]rune(l.PartName))
	if len(name) > 36 {
		return fmt.Errorf("gpt: partition name %q too long", l.PartName)
	}
	for i, u := range name {
		le.PutUint16(entries[56+2*i:], u)
	}
	entriesCRC := crc32.ChecksumIEEE(entries)

	header := func(self, alt, entriesLBA uint64) []byte {
		h := make([]byte, sectorSize)
		copy(h[0:], "EFI PART")
		le.PutUint32(h[8:], 0x00010000)
		le.PutUint32(h[12:], 92)
		le.PutUint64(h[24:], self)
		le.PutUint64(h[32:], alt)
		le.PutUint64(h[40:], firstUsable)
		le.PutUint64(h[48:], lastUsable)
		copy(h[56:], l.DiskGUID.bytes())
		le.PutUint64(h[72:], entriesLBA)
		le.PutUint32(h[80:], numEntries)
		le.PutUint32(h[84:], entrySize)
		le.PutUint32(h[88:], entriesCRC)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
		return h
	}
	backupEntries := lastLBA - entrySecs
	writes := []struct {
		lba  uint64
		data []byte
	}{
		{1, header(1, lastLBA, 2)},
		{2, entries},
		{backupEntries, entries},
		{lastLBA, header(lastLBA, 1, backupEntries)},
	}
	for _, wr := range writes {
		if _, err := w.WriteAt(wr.data, int64(wr.lba)*sectorSize); err != nil {
			return fmt.Errorf("gpt: write LBA %d: %w", wr.lba, err)
		}
	}
	return nil
}

// Read reads the primary table of a disk written by Write (first partition
// only), checking both CRCs.
func Read(r io.ReaderAt) (Layout, error) {
	var l Layout
	h := make([]byte, sectorSize)
	if _, err := r.ReadAt(h, sectorSize); err != nil {
		return l, fmt.Errorf("gpt: read header: %w", err)
	}
	le := binary.LittleEndian
	if string(h[:8]) != "EFI PART" {
		return l, fmt.Errorf("gpt: no GPT header")
	}
	hs := le.Uint32(h[12:])
	if hs < 92 || hs > sectorSize {
		return l, fmt.Errorf("gpt: bad header size %d", hs)
	}
	want := le.Uint32(h[16:])
	c := append([]byte(nil), h[:hs]...)
	le.PutUint32(c[16:], 0)
	if crc32.ChecksumIEEE(c) != want {
		return l, fmt.Errorf("gpt: header CRC mismatch")
	}
	n, es := le.Uint32(h[80:]), le.Uint32(h[84:])
	if es < 128 || n == 0 || n > 1024 {
		return l, fmt.Errorf("gpt: bad entry table %d×%d", n, es)
	}
	entries := make([]byte, n*es)
	if _, err := r.ReadAt(entries, int64(le.Uint64(h[72:]))*sectorSize); err != nil {
		return l, fmt.Errorf("gpt: read entries: %w", err)
	}
	if crc32.ChecksumIEEE(entries) != le.Uint32(h[88:]) {
		return l, fmt.Errorf("gpt: entries CRC mismatch")
	}
	l.DiskGUID = fromBytes(h[56:72])
	l.DiskSize = int64(le.Uint64(h[32:])+1) * sectorSize
	l.PartType = fromBytes(entries[0:16])
	l.PartGUID = fromBytes(entries[16:32])
	start, end := le.Uint64(entries[32:]), le.Uint64(entries[40:])
	if l.PartType == (GUID{}) || end < start {
		return l, fmt.Errorf("gpt: first partition entry is empty")
	}
	l.PartStart = int64(start) * sectorSize
	l.PartSize = int64(end-start+1) * sectorSize
	var name []uint16
	for i := 0; i < 36; i++ {
		u := le.Uint16(entries[56+2*i:])
		if u == 0 {
			break
		}
		name = append(name, u)
	}
	l.PartName = string(utf16.Decode(name))
	return l, nil
}
