package fat

import (
	"encoding/binary"
	"fmt"
	"io"
	"path"

	"tandem/image/fstree"
)

// Volume is what Read found: the tree plus the label and volume ID, so a
// rewrite can keep them.
type Volume struct {
	Tree     *fstree.Tree // every directory and file, contents in memory
	Label    string
	VolumeID uint32
	Size     int64
}

type reader struct {
	r   io.ReaderAt
	off int64
	g   geometry
	fat []uint32
}

// Read reads the FAT32 volume at offset off of r into memory. It follows
// cluster chains, so files written by any implementation (the kernel,
// mtools) can be read.
func Read(r io.ReaderAt, off int64) (*Volume, error) {
	bs := make([]byte, sectorSize)
	if _, err := r.ReadAt(bs, off); err != nil {
		return nil, fmt.Errorf("fat: read boot sector: %w", err)
	}
	le := binary.LittleEndian
	if bs[510] != 0x55 || bs[511] != 0xAA || le.Uint16(bs[11:]) != sectorSize ||
		le.Uint16(bs[17:]) != 0 || le.Uint16(bs[22:]) != 0 || bs[16] == 0 || bs[13] == 0 {
		return nil, fmt.Errorf("fat: not a FAT32 volume with 512-byte sectors")
	}
	reserved := uint32(le.Uint16(bs[14:]))
	nfats := uint32(bs[16])
	g := geometry{
		totalSectors: le.Uint32(bs[32:]),
		secPerClus:   uint32(bs[13]),
		fatSectors:   le.Uint32(bs[36:]),
	}
	dataStart := int64(reserved+nfats*g.fatSectors) * sectorSize
	g.clusters = uint32((int64(g.totalSectors)*sectorSize - dataStart) / g.clusterSize())
	rd := &reader{r: r, off: off, g: g}
	raw := make([]byte, int64(g.fatSectors)*sectorSize)
	if _, err := r.ReadAt(raw, off+int64(reserved)*sectorSize); err != nil {
		return nil, fmt.Errorf("fat: read FAT: %w", err)
	}
	rd.fat = make([]uint32, len(raw)/4)
	for i := range rd.fat {
		rd.fat[i] = le.Uint32(raw[4*i:]) & 0x0FFFFFFF
	}
	// clusterOffset assumes the reserved count this package writes; keep the
	// volume's own by shifting the base offset.
	rd.off = off + dataStart - g.dataStart()
	v := &Volume{Tree: fstree.New(), VolumeID: le.Uint32(bs[67:]), Size: int64(g.totalSectors) * sectorSize}
	v.Label = trimLabel(bs[71:82])
	if err := rd.readDir(le.Uint32(bs[44:]), "", v, 0); err != nil {
		return nil, err
	}
	return v, nil
}

func trimLabel(b []byte) string {
	s := string(b)
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func (rd *reader) chain(first uint32) ([]uint32, error) {
	var out []uint32
	for c := first; c >= 2 && c < 0x0FFFFFF8; c = rd.fat[c] {
		if int(c) >= len(rd.fat) || c-2 >= rd.g.clusters || len(out) > int(rd.g.clusters) {
			return nil, fmt.Errorf("fat: broken cluster chain at %d", c)
		}
		out = append(out, c)
	}
	return out, nil
}

func (rd *reader) readChain(first uint32, size int64) ([]byte, error) {
	cl, err := rd.chain(first)
	if err != nil {
		return nil, err
	}
	cs := rd.g.clusterSize()
	buf := make([]byte, int64(len(cl))*cs)
	for i, c := range cl {
		if _, err := rd.r.ReadAt(buf[int64(i)*cs:int64(i+1)*cs], rd.off+rd.g.clusterOffset(c)); err != nil {
			return nil, fmt.Errorf("fat: read cluster %d: %w", c, err)
		}
	}
	if size >= 0 {
		if size > int64(len(buf)) {
			return nil, fmt.Errorf("fat: file of %d bytes has only %d bytes of clusters", size, len(buf))
		}
		buf = buf[:size]
	}
	return buf, nil
}

func (rd *reader) readDir(first uint32, dir string, v *Volume, depth int) error {
	if depth > 64 {
		return fmt.Errorf("fat: directories nested too deep at %s", dir)
	}
	data, err := rd.readChain(first, -1)
	if err != nil {
		return fmt.Errorf("fat: directory /%s: %w", dir, err)
	}
	le := binary.LittleEndian
	lfn := map[int][13]uint16{}
	lfnCount := 0
	for i := 0; i+dirEntrySize <= len(data); i += dirEntrySize {
		e := data[i : i+dirEntrySize]
		if e[0] == 0 {
			break
		}
		if e[0] == 0xE5 {
			lfn, lfnCount = map[int][13]uint16{}, 0
			continue
		}
		attr := e[11]
		if attr&0x3F == 0x0F {
			seq := int(e[0] & 0x1F)
			if e[0]&0x40 != 0 {
				lfn, lfnCount = map[int][13]uint16{}, seq
			}
			var part [13]uint16
			for k, o := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
				part[k] = le.Uint16(e[o:])
			}
			lfn[seq] = part
			continue
		}
		name := nameFromSFN(e[:11], e[12])
		if lfnCount > 0 && len(lfn) == lfnCount {
			name = nameFromLFN(lfn, lfnCount)
		}
		lfn, lfnCount = map[int][13]uint16{}, 0
		if attr&0x08 != 0 {
			if dir == "" && v.Label == "" {
				v.Label = trimLabel(e[:11])
			}
			continue
		}
		if name == "." || name == ".." {
			continue
		}
		first := uint32(le.Uint16(e[20:]))<<16 | uint32(le.Uint16(e[26:]))
		p := path.Join(dir, name)
		if attr&0x10 != 0 {
			if err := v.Tree.AddDir(p, 0o755); err != nil {
				return err
			}
			if err := rd.readDir(first, p, v, depth+1); err != nil {
				return err
			}
			continue
		}
		body, err := rd.readChain(first, int64(le.Uint32(e[28:])))
		if err != nil {
			return fmt.Errorf("fat: /%s: %w", p, err)
		}
		if err := v.Tree.AddBytes(p, body, 0o644); err != nil {
			return err
		}
	}
	return nil
}
