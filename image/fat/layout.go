// Package fat writes and reads FAT32 file systems in pure Go. The writer is
// deterministic: entries in byte order, files in contiguous clusters in tree
// order, every timestamp the one given, the volume ID supplied by the caller.
// Names that are not plain upper-case 8.3 get VFAT long-name entries.
package fat

import (
	"fmt"
)

const (
	sectorSize   = 512
	reservedSecs = 32
	numFATs      = 2
	minClusters  = 65525 // fewer clusters and it would have to be FAT16
	eoc          = 0x0FFFFFFF
	dirEntrySize = 32
)

// geometry is the computed layout of a volume.
type geometry struct {
	totalSectors uint32
	secPerClus   uint32
	fatSectors   uint32
	clusters     uint32 // data clusters, numbered 2..clusters+1
}

func (g geometry) clusterSize() int64 { return int64(g.secPerClus) * sectorSize }
func (g geometry) dataStart() int64 {
	return int64(reservedSecs+numFATs*g.fatSectors) * sectorSize
}
func (g geometry) clusterOffset(c uint32) int64 {
	return g.dataStart() + int64(c-2)*g.clusterSize()
}

// newGeometry sizes a FAT32 volume of size bytes, following the Microsoft
// cluster-size table (512-byte clusters up to 260 MB, then 4 KiB...).
func newGeometry(size int64) (geometry, error) {
	if size%sectorSize != 0 {
		return geometry{}, fmt.Errorf("fat: size %d is not a multiple of %d", size, sectorSize)
	}
	tot := size / sectorSize
	if tot > 0xFFFFFFFF {
		return geometry{}, fmt.Errorf("fat: size %d too large", size)
	}
	g := geometry{totalSectors: uint32(tot)}
	switch {
	case size <= 260<<20:
		g.secPerClus = 1
	case size <= 8<<30:
		g.secPerClus = 8
	case size <= 16<<30:
		g.secPerClus = 16
	default:
		g.secPerClus = 32
	}
	// The FAT must cover the clusters left after the FATs themselves: iterate
	// to the fixed point (it converges in a few steps).
	for i := 0; i < 16; i++ {
		data := int64(g.totalSectors) - reservedSecs - numFATs*int64(g.fatSectors)
		if data <= 0 {
			return geometry{}, fmt.Errorf("fat: size %d too small", size)
		}
		clusters := uint32(data / int64(g.secPerClus))
		need := (uint32(clusters)+2)*4 + sectorSize - 1
		fatSecs := need / sectorSize
		g.clusters = clusters
		if fatSecs == g.fatSectors {
			break
		}
		g.fatSectors = fatSecs
	}
	data := int64(g.totalSectors) - reservedSecs - numFATs*int64(g.fatSectors)
	g.clusters = uint32(data / int64(g.secPerClus))
	if g.clusters < minClusters {
		return geometry{}, fmt.Errorf("fat: %d bytes gives %d clusters, FAT32 needs at least %d (use at least 33 MiB)", size, g.clusters, minClusters)
	}
	return g, nil
}
