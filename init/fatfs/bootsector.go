// Package fatfs reads FAT12, FAT16 and FAT32 file systems in user space,
// from any io.ReaderAt (a block device, a partition, an image file). It
// exists so that tandem can find its seed on a volume without the kernel's
// vfat driver and without mounting anything.
//
// The FS implements io/fs.FS, fs.ReadDirFS, fs.ReadFileFS and fs.StatFS.
// Names are matched case-insensitively, as FAT does; long file names (VFAT)
// are read. It only reads: nothing is ever written. A corrupt volume gives
// an error, never a panic or an endless loop.
package fatfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Type is the FAT variant, decided by the number of clusters.
type Type int

// The FAT variants.
const (
	FAT12 Type = 12
	FAT16 Type = 16
	FAT32 Type = 32
)

func (t Type) String() string { return fmt.Sprintf("FAT%d", int(t)) }

// ErrNotFAT means the boot sector does not describe a FAT file system.
var ErrNotFAT = errors.New("fatfs: not a FAT file system")

// geometry is what the boot sector (BIOS parameter block) says.
type geometry struct {
	typ            Type
	bytesPerSector int64
	clusterSize    int64
	fatOffset      int64
	fatBytes       int64
	rootOffset     int64 // FAT12/16: the fixed root directory region
	rootBytes      int64
	rootCluster    uint32 // FAT32: the first cluster of the root directory
	dataOffset     int64
	clusters       uint32 // number of data clusters; valid ones are 2..clusters+1
	bootLabel      string // BS_VolLab, when the extended boot signature is present
}

// readGeometry parses and sanity-checks the boot sector. Every field that
// later arithmetic depends on is range-checked here.
func readGeometry(r io.ReaderAt, size int64) (*geometry, error) {
	if size < 512 {
		return nil, ErrNotFAT
	}
	var bs [512]byte
	if _, err := r.ReadAt(bs[:], 0); err != nil {
		return nil, fmt.Errorf("fatfs: read boot sector: %w", err)
	}
	hasJump := bs[0] == 0xEB || bs[0] == 0xE9
	hasSig := bs[510] == 0x55 && bs[511] == 0xAA
	if !hasJump && !hasSig {
		return nil, ErrNotFAT
	}
	le16 := func(o int) uint64 { return uint64(binary.LittleEndian.Uint16(bs[o:])) }
	le32 := func(o int) uint64 { return uint64(binary.LittleEndian.Uint32(bs[o:])) }

	bps := le16(11)
	spc := uint64(bs[13])
	rsvd := le16(14)
	nfats := uint64(bs[16])
	rootEnts := le16(17)
	total := le16(19)
	fatSz16 := le16(22)
	fatSz := fatSz16
	if total == 0 {
		total = le32(32)
	}
	if fatSz == 0 {
		fatSz = le32(36)
	}
	switch bps {
	case 512, 1024, 2048, 4096:
	default:
		return nil, ErrNotFAT
	}
	if spc == 0 || spc&(spc-1) != 0 || rsvd == 0 || nfats == 0 || fatSz == 0 || total == 0 {
		return nil, ErrNotFAT
	}
	rootSectors := (rootEnts*32 + bps - 1) / bps
	meta := rsvd + nfats*fatSz + rootSectors
	if meta >= total {
		return nil, ErrNotFAT
	}
	clusters := (total - meta) / spc
	if clusters == 0 || clusters > 0x0FFFFFF5 {
		return nil, ErrNotFAT
	}
	g := &geometry{
		bytesPerSector: int64(bps),
		clusterSize:    int64(bps * spc),
		fatOffset:      int64(rsvd * bps),
		fatBytes:       int64(fatSz * bps),
		rootOffset:     int64((rsvd + nfats*fatSz) * bps),
		rootBytes:      int64(rootSectors * bps),
		dataOffset:     int64(meta * bps),
		clusters:       uint32(clusters),
	}
	// Like Linux, take FAT32 from the layout (no FAT12/16 FAT size and no
	// fixed root directory), so small FAT32 volumes work; the cluster count
	// then tells FAT12 from FAT16.
	switch {
	case fatSz16 == 0 && rootEnts == 0:
		g.typ = FAT32
		g.rootCluster = uint32(le32(44))
		if bs[66] == 0x29 {
			g.bootLabel = label(bs[71:82])
		}
	case rootEnts == 0:
		return nil, fmt.Errorf("%w: FAT12/16 without a root directory", ErrNotFAT)
	default:
		g.typ = FAT16
		if clusters < 4085 {
			g.typ = FAT12
		}
		if bs[38] == 0x29 {
			g.bootLabel = label(bs[43:54])
		}
	}
	// The FAT must have an entry for every cluster.
	if uint64(g.fatBytes)*8/uint64(g.typ) < clusters+2 {
		return nil, fmt.Errorf("fatfs: FAT of %d bytes is too small for %d clusters", g.fatBytes, clusters)
	}
	if g.dataOffset > size {
		return nil, fmt.Errorf("fatfs: metadata ends at byte %d, past the end of the %d-byte volume", g.dataOffset, size)
	}
	return g, nil
}

// label turns an 11-byte space-padded label into a string; "NO NAME" means
// none.
func label(b []byte) string {
	s := strings.TrimRight(oemString(b), " \x00")
	if s == "NO NAME" {
		return ""
	}
	return s
}

// oemString decodes OEM code-page bytes as code page 437, the Linux vfat
// default, so accented 8.3 names written by DOS tools read correctly.
func oemString(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp437[c-0x80])
		}
	}
	return sb.String()
}

// cp437 is the upper half of code page 437.
var cp437 = []rune(
	"ÇüéâäàåçêëèïîìÄÅ" +
		"ÉæÆôöòûùÿÖÜ¢£¥₧ƒ" +
		"áíóúñÑªº¿⌐¬½¼¡«»" +
		"░▒▓│┤╡╢╖╕╣║╗╝╜╛┐" +
		"└┴┬├─┼╞╟╚╔╩╦╠═╬╧" +
		"╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
		"αßΓπΣσµτΦΘΩδ∞φε∩" +
		"≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ")
