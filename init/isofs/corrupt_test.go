package isofs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// rawDir returns where directory name's extent starts in the image and its
// bytes.
func rawDir(t *testing.T, f *FS, name string) (int64, []byte) {
	t.Helper()
	e, err := f.resolve("test", name)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.dirRecord(e)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, rec.size)
	if _, err := f.r.ReadAt(buf, f.offset(rec)); err != nil {
		t.Fatal(err)
	}
	return f.offset(rec), buf
}

// recordOffset returns where the record of dir/name starts in the image.
func recordOffset(t *testing.T, f *FS, dir, name string) int64 {
	t.Helper()
	off, buf := rawDir(t, f, dir)
	for pos := 0; pos < len(buf); {
		l := int(buf[pos])
		if l == 0 {
			pos = (pos/int(f.blockSize) + 1) * int(f.blockSize)
			continue
		}
		if d := f.parseDir(buf[pos : pos+l]); len(d) == 1 && strings.EqualFold(d[0].name, name) {
			return off + int64(pos)
		}
		pos += l
	}
	t.Fatalf("no record for %s in %s", name, dir)
	return 0
}

// putBoth writes a both-endian 32-bit number.
func putBoth(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

// walk lists every path and reads every file, as the fuzzer does; it
// returns the paths and the errors seen.
func walk(f *FS) (paths []string, errs []error) {
	_ = fs.WalkDir(f, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if len(paths) > 1000 {
			return fs.SkipAll
		}
		paths = append(paths, p)
		if !d.IsDir() {
			if _, err := f.ReadFile(p); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	return paths, errs
}

func TestDirectoryLoop(t *testing.T) {
	for _, args := range [][]string{{"--norock", "-iso-level", "3"}, {"-R", "-J"}} {
		img := mkiso(t, "xorriso", tree(t), append(args, "-V", "TANDEM")...)
		f := open(t, img)
		// Point tandem/sub back at tandem.
		tandem, err := f.resolve("test", "tandem")
		if err != nil {
			t.Fatal(err)
		}
		putBoth(img[recordOffset(t, f, "tandem", "sub")+2:], tandem.lba)

		f = open(t, img)
		if _, err := f.ReadFile("tandem/sub/seed.toml"); !errors.Is(err, errDirLoop) {
			t.Errorf("%v: ReadFile(tandem/sub/seed.toml) = %v, want a directory loop", args, err)
		}
		// The walk lists tandem/sub (a copy of tandem) and stops there:
		// everything below it is a loop.
		paths, errs := walk(f)
		if len(paths) > 20 || len(errs) == 0 {
			t.Errorf("%v: WalkDir = %v, errors %v; want it to stop at the loop", args, paths, errs)
		}
		for _, err := range errs {
			if !errors.Is(err, errDirLoop) {
				t.Errorf("%v: WalkDir error %v, want a directory loop", args, err)
			}
		}
	}
}

func TestMultiExtentRejected(t *testing.T) {
	img := mkiso(t, "xorriso", tree(t), "-J", "-V", "TANDEM")
	f := open(t, img)
	img[recordOffset(t, f, "tandem", "seed.toml")+25] |= flagMultiExtent
	f = open(t, img)
	if _, err := f.ReadFile("tandem/seed.toml"); !errors.Is(err, ErrMultiExtent) {
		t.Errorf("ReadFile(seed.toml) = %v, want ErrMultiExtent", err)
	}
	if got := dirNames(t, f, "tandem"); !strings.Contains(got, "seed.toml") {
		t.Errorf("ReadDir(tandem) = %s, want seed.toml listed", got)
	}
}

// TestHugeSizes claims a 4 GiB file and directory in a small image: both
// must fail before allocating.
func TestHugeSizes(t *testing.T) {
	img := mkiso(t, "xorriso", tree(t), "-R", "-V", "TANDEM")
	f := open(t, img)
	putBoth(img[recordOffset(t, f, "tandem", "seed.toml")+10:], 0xFFFFFFF0)
	putBoth(img[recordOffset(t, f, "tandem", "sub")+10:], 0xFFFFFFF0)
	f = open(t, img)
	if _, err := f.ReadFile("tandem/seed.toml"); err == nil || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("ReadFile(seed.toml) = %v, want an extent past the end", err)
	}
	if _, err := f.ReadDir("tandem/sub"); err == nil {
		t.Errorf("ReadDir(tandem/sub) of a 4 GiB directory succeeded")
	}
	if got, err := f.ReadFile("tandem/haproxy.cfg"); err != nil || len(got) == 0 {
		t.Errorf("ReadFile(haproxy.cfg) next to the corrupt records = %q, %v", got, err)
	}
}

// TestContinuationLoop points a record's CE entry back at its own system
// use area: the reader must give up on the Rock Ridge name, not loop.
func TestContinuationLoop(t *testing.T) {
	long := strings.Repeat("x", 240)
	img := mkiso(t, "xorriso", map[string][]byte{"tandem/" + long: []byte("ce\n")}, "-R", "-V", "TANDEM")
	f := open(t, img)
	off := recordOffset(t, f, "tandem", long)
	rec := img[off : off+int64(img[off])]
	ce := bytes.Index(rec, []byte("CE\x1c\x01"))
	if ce < 0 {
		t.Fatal("no CE entry in the record")
	}
	n := int64(rec[32])
	sua := off + 33 + n + (n+1)%2
	putBoth(rec[ce+4:], uint32(sua/f.blockSize))
	putBoth(rec[ce+12:], uint32(sua%f.blockSize))
	putBoth(rec[ce+20:], uint32(len(rec)-int(sua-off)))

	f = open(t, img)
	list, err := f.ReadDir("tandem")
	if err != nil || len(list) != 1 {
		t.Fatalf("ReadDir(tandem) = %v, %v; want the one file", list, err)
	}
	if list[0].Name() == long {
		t.Errorf("a name read through a CE loop was accepted")
	}
	if _, err := f.ReadFile("tandem/" + list[0].Name()); err != nil {
		t.Errorf("ReadFile under the plain name = %v", err)
	}
}
