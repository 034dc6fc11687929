package fatfs

import (
	"encoding/binary"
	"fmt"
	"io"
)

// FS is an open FAT file system. It is safe for use by one goroutine at a
// time (it caches FAT sectors).
type FS struct {
	r    io.ReaderAt
	size int64
	g    *geometry
	// label is the volume label: the root directory's label entry when
	// present (what operating systems change), else the boot sector's.
	label string

	fatCache map[int64][]byte
}

// maxDirBytes bounds one directory: FAT allows at most 65536 entries.
const maxDirBytes = 65536 * 32

// maxFATCache bounds the cached FAT sectors.
const maxFATCache = 256

// Open reads the FAT file system on r, which is size bytes long. It returns
// an error wrapping ErrNotFAT when r holds no FAT file system.
func Open(r io.ReaderAt, size int64) (*FS, error) {
	g, err := readGeometry(r, size)
	if err != nil {
		return nil, err
	}
	f := &FS{r: r, size: size, g: g, label: g.bootLabel, fatCache: map[int64][]byte{}}
	root, err := f.readRoot()
	if err != nil {
		return nil, err
	}
	if l, ok := root.label(); ok {
		f.label = l
	}
	return f, nil
}

// Type returns the FAT variant.
func (f *FS) Type() Type { return f.g.typ }

// Label returns the volume label, without its padding; empty when none.
func (f *FS) Label() string { return f.label }

// fatByte returns one byte of the first FAT, through a small sector cache.
func (f *FS) fatByte(off int64) (byte, error) {
	if off < 0 || off >= f.g.fatBytes {
		return 0, fmt.Errorf("fatfs: FAT offset %d out of range", off)
	}
	bps := f.g.bytesPerSector
	sec := off / bps
	b, ok := f.fatCache[sec]
	if !ok {
		b = make([]byte, bps)
		if _, err := f.r.ReadAt(b, f.g.fatOffset+sec*bps); err != nil {
			return 0, fmt.Errorf("fatfs: read FAT sector %d: %w", sec, err)
		}
		if len(f.fatCache) >= maxFATCache {
			clear(f.fatCache)
		}
		f.fatCache[sec] = b
	}
	return b[off%bps], nil
}

func (f *FS) fatBytes(off int64, n int) (uint32, error) {
	var buf [4]byte
	for i := 0; i < n; i++ {
		b, err := f.fatByte(off + int64(i))
		if err != nil {
			return 0, err
		}
		buf[i] = b
	}
	return binary.LittleEndian.Uint32(buf[:]), nil
}

// next returns the FAT entry of cluster c.
func (f *FS) next(c uint32) (uint32, error) {
	switch f.g.typ {
	case FAT12:
		v, err := f.fatBytes(int64(c)+int64(c/2), 2)
		if err != nil {
			return 0, err
		}
		if c&1 == 1 {
			return v >> 4, nil
		}
		return v & 0xFFF, nil
	case FAT16:
		return f.fatBytes(int64(c)*2, 2)
	default:
		v, err := f.fatBytes(int64(c)*4, 4)
		return v & 0x0FFFFFFF, err
	}
}

func (f *FS) endOfChain(v uint32) bool {
	switch f.g.typ {
	case FAT12:
		return v >= 0xFF8
	case FAT16:
		return v >= 0xFFF8
	default:
		return v >= 0x0FFFFFF8
	}
}

func (f *FS) validCluster(c uint32) bool { return c >= 2 && c-2 < f.g.clusters }

// chain follows the cluster chain from start. With want > 0 it stops after
// want clusters and fails if the chain is shorter; with want == 0 it reads
// to the end of the chain, at most limit clusters.
func (f *FS) chain(start uint32, want, limit int) ([]uint32, error) {
	var out []uint32
	c := start
	for {
		if !f.validCluster(c) {
			return nil, fmt.Errorf("fatfs: cluster chain from %d: invalid cluster %#x", start, c)
		}
		out = append(out, c)
		if want > 0 && len(out) == want {
			return out, nil
		}
		if len(out) > limit || len(out) > int(f.g.clusters) {
			return nil, fmt.Errorf("fatfs: cluster chain from %d is too long or loops", start)
		}
		n, err := f.next(c)
		if err != nil {
			return nil, err
		}
		if f.endOfChain(n) {
			if want > 0 {
				return nil, fmt.Errorf("fatfs: cluster chain from %d ends after %d of %d clusters", start, len(out), want)
			}
			return out, nil
		}
		c = n
	}
}

func (f *FS) clusterOffset(c uint32) int64 {
	return f.g.dataOffset + int64(c-2)*f.g.clusterSize
}

// readClusters reads the whole clusters of a chain (a directory).
func (f *FS) readClusters(chain []uint32) ([]byte, error) {
	buf := make([]byte, int64(len(chain))*f.g.clusterSize)
	for i, c := range chain {
		part := buf[int64(i)*f.g.clusterSize : int64(i+1)*f.g.clusterSize]
		if _, err := f.r.ReadAt(part, f.clusterOffset(c)); err != nil {
			return nil, fmt.Errorf("fatfs: read cluster %d: %w", c, err)
		}
	}
	return buf, nil
}

// readRoot reads the root directory.
func (f *FS) readRoot() (dir, error) {
	if f.g.typ != FAT32 {
		buf := make([]byte, f.g.rootBytes)
		if _, err := f.r.ReadAt(buf, f.g.rootOffset); err != nil {
			return nil, fmt.Errorf("fatfs: read root directory: %w", err)
		}
		return parseDir(buf), nil
	}
	return f.readDirCluster(f.g.rootCluster)
}

// readDirCluster reads the directory starting at cluster c.
func (f *FS) readDirCluster(c uint32) (dir, error) {
	chain, err := f.chain(c, 0, int(maxDirBytes/f.g.clusterSize)+1)
	if err != nil {
		return nil, err
	}
	buf, err := f.readClusters(chain)
	if err != nil {
		return nil, err
	}
	return parseDir(buf), nil
}
