// Package isofs reads ISO9660 file systems (CD-ROM and DVD images) in user
// space, from any io.ReaderAt: a block device such as /dev/sr0, or an image
// file. It exists so that tandem can find its seed on an ISO volume without
// the kernel's isofs driver and without mounting anything.
//
// The FS implements io/fs.FS, fs.ReadDirFS, fs.ReadFileFS and fs.StatFS.
// It reads plain ISO9660 names (levels 1 to 3), Joliet names and Rock Ridge
// names, preferring Rock Ridge, then Joliet, then plain names, as Linux
// does. Names are matched case-insensitively. It only reads. Every offset
// and length from the disk is checked: a corrupt volume gives an error,
// never a panic, an endless loop or an allocation larger than the volume.
package isofs

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// ErrNotISO means the volume holds no ISO9660 file system.
var ErrNotISO = errors.New("isofs: not an ISO9660 file system")

// ErrMultiExtent is returned when opening a file stored in several extents
// (files of 4 GiB and more); tandem never needs one.
var ErrMultiExtent = errors.New("isofs: files in several extents are not supported")

const (
	// descriptorSize is the size of a volume descriptor; they start after
	// the 32 KiB system area whatever the logical block size.
	descriptorSize  = 2048
	firstDescriptor = 16 * descriptorSize
	// maxDescriptors bounds the scan for the set terminator.
	maxDescriptors = 64
)

// Volume descriptor types.
const (
	vdPrimary       = 1
	vdSupplementary = 2
	vdTerminator    = 255
)

// naming says how the directory tree in use names its files.
type naming int

const (
	plainNames naming = iota
	jolietNames
	rockRidgeNames
)

// descriptors are the volume descriptors tandem uses.
type descriptors struct {
	primary []byte
	joliet  []byte // nil when there is no Joliet supplementary descriptor
}

// readDescriptors scans the volume descriptor set up to its terminator.
func readDescriptors(r io.ReaderAt, size int64) (*descriptors, error) {
	var d descriptors
	for i := int64(0); i < maxDescriptors; i++ {
		off := firstDescriptor + i*descriptorSize
		if off+descriptorSize > size {
			break
		}
		b := make([]byte, descriptorSize)
		if _, err := r.ReadAt(b, off); err != nil {
			return nil, fmt.Errorf("isofs: read volume descriptor %d: %w", i, err)
		}
		if string(b[1:6]) != "CD001" {
			if i == 0 {
				return nil, ErrNotISO
			}
			break // an unterminated set: use what was found
		}
		switch b[0] {
		case vdPrimary:
			if d.primary == nil {
				d.primary = b
			}
		case vdSupplementary:
			if d.joliet == nil && isJoliet(b) {
				d.joliet = b
			}
		case vdTerminator:
			i = maxDescriptors
		}
	}
	if d.primary == nil {
		return nil, fmt.Errorf("%w: no primary volume descriptor", ErrNotISO)
	}
	return &d, nil
}

// isJoliet tells a Joliet supplementary descriptor by its UCS-2 escape
// sequence (levels 1, 2 and 3).
func isJoliet(svd []byte) bool {
	if svd[7]&1 != 0 { // escape sequences not registered with ISO 2375
		return false
	}
	switch string(svd[88:91]) {
	case "%/@", "%/C", "%/E":
		return true
	}
	return false
}

// FS is an open ISO9660 file system. It holds no mutable state, so it is
// safe for concurrent use when r is.
type FS struct {
	r         io.ReaderAt
	size      int64
	blockSize int64
	root      record
	naming    naming
	// suspSkip is the SUSP LEN_SKP: bytes to skip at the start of each
	// record's system use area.
	suspSkip int
	label    string
}

// Open reads the ISO9660 file system on r, which is size bytes long. It
// returns an error wrapping ErrNotISO when r holds no ISO9660 file system.
func Open(r io.ReaderAt, size int64) (*FS, error) {
	d, err := readDescriptors(r, size)
	if err != nil {
		return nil, err
	}
	f := &FS{r: r, size: size}
	bs := int64(le16(d.primary[128:]))
	switch bs {
	case 512, 1024, 2048:
	default:
		return nil, fmt.Errorf("%w: logical block size %d", ErrNotISO, bs)
	}
	f.blockSize = bs
	f.label = trimLabel(string(d.primary[40:72]))
	if d.joliet != nil {
		if l := trimLabel(ucs2(d.joliet[40:72])); l != "" {
			f.label = l
		}
	}

	root, ok := parseRecord(d.primary[156:190])
	if !ok || !root.dir {
		return nil, errors.New("isofs: the primary descriptor's root directory record is invalid")
	}
	if err := f.checkExtent(root); err != nil {
		return nil, fmt.Errorf("isofs: root directory: %w", err)
	}
	f.root = root
	if skip, ok, err := f.rockRidge(root); err != nil {
		return nil, err
	} else if ok {
		f.naming, f.suspSkip = rockRidgeNames, skip
		return f, nil
	}
	if d.joliet != nil {
		jroot, ok := parseRecord(d.joliet[156:190])
		if ok && jroot.dir && f.checkExtent(jroot) == nil {
			f.root, f.naming = jroot, jolietNames
		}
	}
	return f, nil
}

// Label returns the volume identifier without its padding: the Joliet one
// when present (it keeps lower case), else the primary descriptor's.
func (f *FS) Label() string { return f.label }

// checkExtent checks that a record's data lies inside the volume.
func (f *FS) checkExtent(rec record) error {
	start := (int64(rec.lba) + int64(rec.earLen)) * f.blockSize
	if start > f.size || int64(rec.size) > f.size-start {
		return fmt.Errorf("extent at block %d of %d bytes is past the end of the %d-byte volume", rec.lba, rec.size, f.size)
	}
	return nil
}

func (f *FS) offset(rec record) int64 {
	return (int64(rec.lba) + int64(rec.earLen)) * f.blockSize
}

func trimLabel(s string) string { return strings.TrimRight(s, " \x00") }

// ucs2 decodes big-endian UCS-2 (UTF-16 in practice); an odd last byte is
// dropped.
func ucs2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
