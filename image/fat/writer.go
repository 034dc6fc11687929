package fat

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"tandem/image/fstree"
)

// Options describe the volume to write.
type Options struct {
	Size          int64     // volume size in bytes (multiple of 512, at least 33 MiB)
	Label         string    // volume label, up to 11 characters ("TANDEM")
	VolumeID      uint32    // serial number; derive it from the inputs for reproducibility
	HiddenSectors uint32    // LBA of the partition start, recorded in the BPB
	Time          time.Time // every timestamp (clamped to 1980..2107)
}

type node struct {
	name     string
	entry    *fstree.Entry // nil for the root
	children []*node
	first    uint32 // first cluster (0 for empty files)
	clusters uint32
	dirBytes []byte // encoded directory (directories only)
}

func (n *node) isDir() bool { return n.entry == nil || n.entry.Kind == fstree.Dir }

// Write writes a FAT32 volume holding t's directories and regular files to w
// at offset off. Every byte of the volume's metadata area is written; the
// data area beyond the used clusters is left as it is (zero in a new file).
func Write(w io.WriterAt, off int64, t *fstree.Tree, opt Options) error {
	g, err := newGeometry(opt.Size)
	if err != nil {
		return err
	}
	root, err := buildNodes(t)
	if err != nil {
		return err
	}
	ts := encodeTime(opt.Time)
	// Allocate in tree order: directories' sizes only depend on their names,
	// so every first cluster is known before any directory is encoded.
	next := uint32(2)
	var order []*node
	var walk func(n *node) error
	walk = func(n *node) error {
		var size int64
		if n.isDir() {
			size = int64(countDirEntries(n)) * dirEntrySize
		} else {
			size = n.entry.Size
		}
		n.clusters = uint32((size + g.clusterSize() - 1) / g.clusterSize())
		if n.isDir() && n.clusters == 0 {
			n.clusters = 1
		}
		if n.clusters > 0 {
			n.first = next
			next += n.clusters
			if next-2 > g.clusters {
				return fmt.Errorf("fat: contents do not fit in %d bytes", opt.Size)
			}
		}
		order = append(order, n)
		for _, c := range n.children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return err
	}
	for _, n := range order {
		if n.isDir() {
			if n.dirBytes, err = encodeDir(n, root, opt.Label, ts); err != nil {
				return err
			}
		}
	}
	used := next - 2
	if err := writeMeta(w, off, g, opt, used, order); err != nil {
		return err
	}
	for _, n := range order {
		if n.clusters == 0 {
			continue
		}
		at := off + g.clusterOffset(n.first)
		if n.isDir() {
			buf := make([]byte, int64(n.clusters)*g.clusterSize())
			copy(buf, n.dirBytes)
			if _, err := w.WriteAt(buf, at); err != nil {
				return fmt.Errorf("fat: write directory: %w", err)
			}
			continue
		}
		if err := writeFile(w, at, n.entry, int64(n.clusters)*g.clusterSize()); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(w io.WriterAt, at int64, e *fstree.Entry, span int64) error {
	r, err := e.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	sw := io.NewOffsetWriter(w, at)
	bw := bufio.NewWriterSize(sw, 1<<20)
	n, err := io.Copy(bw, r)
	if err != nil {
		return fmt.Errorf("fat: write %s: %w", e.Path, err)
	}
	if n != e.Size {
		return fmt.Errorf("fat: %s changed size while writing", e.Path)
	}
	// Zero the cluster tail so a rewrite over old data stays deterministic.
	if _, err := bw.Write(make([]byte, span-n)); err != nil {
		return fmt.Errorf("fat: write %s: %w", e.Path, err)
	}
	return bw.Flush()
}

func buildNodes(t *fstree.Tree) (*node, error) {
	root := &node{}
	dirs := map[string]*node{"": root}
	for _, e := range t.Entries() {
		switch e.Kind {
		case fstree.Dir, fstree.File:
		default:
			return nil, fmt.Errorf("fat: %s: only directories and regular files fit on FAT", e.Path)
		}
		parent := dirs[strings.TrimPrefix(path.Dir("/"+e.Path), "/")]
		if parent == nil {
			return nil, fmt.Errorf("fat: %s: parent missing", e.Path)
		}
		n := &node{name: path.Base(e.Path), entry: e}
		parent.children = append(parent.children, n)
		if e.Kind == fstree.Dir {
			dirs[e.Path] = n
		}
	}
	return root, nil
}

// dirNames assigns short names (and whether a long name is needed) to a
// directory's children, deterministically in child order.
type dirName struct {
	sfn  [11]byte
	long bool
}

func assignNames(n *node) ([]dirName, error) {
	used := map[[11]byte]bool{}
	out := make([]dirName, len(n.children))
	seen := map[string]bool{}
	for i, c := range n.children {
		up := strings.ToUpper(c.name)
		if seen[up] {
			return nil, fmt.Errorf("fat: %s: names differing only in case collide on FAT", c.entry.Path)
		}
		seen[up] = true
		if s, ok := plainSFN(c.name); ok && !used[s] {
			out[i] = dirName{sfn: s}
			used[s] = true
		}
	}
	for i, c := range n.children {
		if out[i].sfn != [11]byte{} {
			continue
		}
		s, err := shortAlias(c.name, used)
		if err != nil {
			return nil, err
		}
		used[s] = true
		out[i] = dirName{sfn: s, long: true}
	}
	return out, nil
}

func countDirEntries(n *node) int {
	count := 1 // volume label in the root, "." in the others
	if n.entry != nil {
		count = 2
	}
	for _, c := range n.children {
		if _, ok := plainSFN(c.name); ok {
			count++
		} else {
			count += 1 + (len(utf16Len(c.name))+12)/13
		}
	}
	return count
}

func utf16Len(s string) []uint16 {
	var u []uint16
	for _, r := range s {
		if r >= 0x10000 {
			u = append(u, 0, 0)
		} else {
			u = append(u, 0)
		}
	}
	return u
}

type stamp struct{ date, time uint16 }

func encodeTime(t time.Time) stamp {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	return stamp{
		date: uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day()),
		time: uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2),
	}
}

func shortEntry(name [11]byte, attr byte, first uint32, size uint32, ts stamp) [dirEntrySize]byte {
	var e [dirEntrySize]byte
	copy(e[:11], name[:])
	e[11] = attr
	le := binary.LittleEndian
	le.PutUint16(e[14:], ts.time)
	le.PutUint16(e[16:], ts.date)
	le.PutUint16(e[18:], ts.date)
	le.PutUint16(e[20:], uint16(first>>16))
	le.PutUint16(e[22:], ts.time)
	le.PutUint16(e[24:], ts.date)
	le.PutUint16(e[26:], uint16(first))
	le.PutUint32(e[28:], size)
	return e
}

func encodeDir(n, root *node, label string, ts stamp) ([]byte, error) {
	var buf []byte
	if n == root {
		var l [11]byte
		copy(l[:], fmt.Sprintf("%-11s", strings.ToUpper(label)))
		e := shortEntry(l, 0x08, 0, 0, ts)
		buf = append(buf, e[:]...)
	} else {
		dot := shortEntry([11]byte{'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0x10, n.first, 0, ts)
		parent := findParent(root, n)
		pc := uint32(0) // ".." of a top-level directory points at cluster 0
		if parent != root {
			pc = parent.first
		}
		dotdot := shortEntry([11]byte{'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0x10, pc, 0, ts)
		buf = append(buf, dot[:]...)
		buf = append(buf, dotdot[:]...)
	}
	names, err := assignNames(n)
	if err != nil {
		return nil, err
	}
	for i, c := range n.children {
		if names[i].long {
			lfn, err := lfnEntries(c.name, names[i].sfn)
			if err != nil {
				return nil, err
			}
			for _, e := range lfn {
				buf = append(buf, e[:]...)
			}
		}
		attr, size := byte(0x20), uint32(0)
		if c.isDir() {
			attr = 0x10
		} else {
			if c.entry.Size > 0xFFFFFFFF {
				return nil, fmt.Errorf("fat: %s is larger than 4 GiB", c.entry.Path)
			}
			size = uint32(c.entry.Size)
		}
		e := shortEntry(names[i].sfn, attr, c.first, size, ts)
		buf = append(buf, e[:]...)
	}
	return buf, nil
}

func findParent(root, target *node) *node {
	for _, c := range root.children {
		if c == target {
			return root
		}
		if c.isDir() {
			if p := findParent(c, target); p != nil {
				return p
			}
		}
	}
	return nil
}

func writeMeta(w io.WriterAt, off int64, g geometry, opt Options, used uint32, order []*node) error {
	le := binary.LittleEndian
	bs := make([]byte, sectorSize)
	copy(bs[0:], []byte{0xEB, 0x58, 0x90})
	copy(bs[3:11], "TANDEM  ")
	le.PutUint16(bs[11:], sectorSize)
	bs[13] = byte(g.secPerClus)
	le.PutUint16(bs[14:], reservedSecs)
	bs[16] = numFATs
	bs[21] = 0xF8
	le.PutUint16(bs[24:], 63)  // sectors per track (legacy CHS)
	le.PutUint16(bs[26:], 255) // heads
	le.PutUint32(bs[28:], opt.HiddenSectors)
	le.PutUint32(bs[32:], g.totalSectors)
	le.PutUint32(bs[36:], g.fatSectors)
	le.PutUint32(bs[44:], 2) // root cluster
	le.PutUint16(bs[48:], 1) // FSInfo sector
	le.PutUint16(bs[50:], 6) // backup boot sector
	bs[64] = 0x80
	bs[66] = 0x29
	le.PutUint32(bs[67:], opt.VolumeID)
	copy(bs[71:82], fmt.Sprintf("%-11s", strings.ToUpper(opt.Label)))
	copy(bs[82:90], "FAT32   ")
	// Boot code: print nothing and halt if someone boots the partition.
	copy(bs[90:], []byte{0xF4, 0xEB, 0xFD})
	bs[510], bs[511] = 0x55, 0xAA

	fsinfo := make([]byte, sectorSize)
	le.PutUint32(fsinfo[0:], 0x41615252)
	le.PutUint32(fsinfo[484:], 0x61417272)
	le.PutUint32(fsinfo[488:], g.clusters-used)
	le.PutUint32(fsinfo[492:], used+2)
	fsinfo[510], fsinfo[511] = 0x55, 0xAA

	reserved := make([]byte, reservedSecs*sectorSize)
	copy(reserved[0:], bs)
	copy(reserved[sectorSize:], fsinfo)
	reserved[2*sectorSize+510], reserved[2*sectorSize+511] = 0x55, 0xAA
	copy(reserved[6*sectorSize:], bs)
	copy(reserved[7*sectorSize:], fsinfo)
	reserved[8*sectorSize+510], reserved[8*sectorSize+511] = 0x55, 0xAA
	if _, err := w.WriteAt(reserved, off); err != nil {
		return fmt.Errorf("fat: write boot sectors: %w", err)
	}

	fat := make([]byte, int64(g.fatSectors)*sectorSize)
	le.PutUint32(fat[0:], 0x0FFFFFF8)
	le.PutUint32(fat[4:], 0x0FFFFFFF)
	sorted := append([]*node(nil), order...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].first < sorted[j].first })
	for _, n := range sorted {
		for i := uint32(0); i < n.clusters; i++ {
			c := n.first + i
			v := c + 1
			if i == n.clusters-1 {
				v = eoc
			}
			le.PutUint32(fat[4*c:], v)
		}
	}
	for i := 0; i < numFATs; i++ {
		at := off + int64(reservedSecs+uint32(i)*g.fatSectors)*sectorSize
		if _, err := w.WriteAt(fat, at); err != nil {
			return fmt.Errorf("fat: write FAT: %w", err)
		}
	}
	return nil
}
