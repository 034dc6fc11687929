package seed

import (
	"errors"
	"io"
	"io/fs"

	"tandem/init/fatfs"
	"tandem/init/isofs"
)

// volume is a file system that can offer the seed, read in user space.
type volume struct {
	fsys  fs.FS
	label string
	kind  string // the file system, for the source: "FAT32", "ISO9660"
}

// openVolume reads the FAT or ISO9660 file system on r, which is size bytes
// long; (nil, nil) when r holds neither. FAT is tried first: it is what the
// appliance's own disk carries.
func openVolume(r io.ReaderAt, size int64) (*volume, error) {
	fat, fatErr := fatfs.Open(r, size)
	if fatErr == nil {
		return &volume{fsys: fat, label: fat.Label(), kind: fat.Type().String()}, nil
	}
	iso, isoErr := isofs.Open(r, size)
	if isoErr == nil {
		return &volume{fsys: iso, label: iso.Label(), kind: "ISO9660"}, nil
	}
	// A corrupt file system is worth a log line; a device with neither is
	// not.
	switch {
	case !errors.Is(isoErr, isofs.ErrNotISO):
		return nil, isoErr
	case !errors.Is(fatErr, fatfs.ErrNotFAT):
		return nil, fatErr
	}
	return nil, nil
}
