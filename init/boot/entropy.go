package boot

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SeedSize is how much seed is kept between boots (as systemd does).
const SeedSize = 512

// SeedEntropy feeds the seed saved at path into the kernel pool and saves a
// fresh one for the next boot. It returns the bits credited.
//
// The old seed is credited (RNDADDENTROPY on /dev/urandom) only after the
// new seed has been written and synced: a seed that cannot be replaced
// (read-only disk) would be credited again next boot, so then it is mixed
// in without credit and the write error is returned. A missing seed file
// is not an error (first boot); a new one is written.
func SeedEntropy(path string) (int, error) {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("entropy: read seed: %w", err)
	}
	if len(old) > SeedSize {
		old = old[:SeedSize]
	}
	fresh, err := newSeed(old)
	if err != nil {
		return 0, err
	}
	werr := writeFileAtomic(path, fresh, 0o600)
	if len(old) == 0 {
		return 0, werr
	}
	credit := 0
	if werr == nil {
		credit = len(old) * 8
	}
	if err := addEntropy(old, credit); err != nil {
		return 0, errors.Join(err, werr)
	}
	return credit, werr
}

// newSeed draws SeedSize bytes from the kernel without blocking (the pool
// may not be initialised yet, that is why we are here) and hashes them
// together with the old seed, so the new seed is never weaker than either.
func newSeed(old []byte) ([]byte, error) {
	buf := make([]byte, SeedSize)
	if _, err := unix.Getrandom(buf, unix.GRND_INSECURE); err != nil {
		// Kernels before 5.6 lack GRND_INSECURE; crypto/rand may block
		// briefly there, which early boot can afford.
		if _, err := io.ReadFull(rand.Reader, buf); err != nil {
			return nil, fmt.Errorf("entropy: new seed: %w", err)
		}
	}
	out := make([]byte, 0, SeedSize)
	for i := byte(0); len(out) < SeedSize; i++ {
		h := sha512.New()
		h.Write([]byte{i})
		h.Write(old)
		h.Write(buf)
		out = h.Sum(out)
	}
	return out[:SeedSize], nil
}

// addEntropy passes data to the pool, crediting bits (0 mixes it in only).
func addEntropy(data []byte, bits int) error {
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("entropy: open /dev/urandom: %w", err)
	}
	defer f.Close()
	if bits == 0 {
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("entropy: write /dev/urandom: %w", err)
		}
		return nil
	}
	// struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }
	info := make([]byte, 8+len(data))
	binary.NativeEndian.PutUint32(info[0:], uint32(bits))
	binary.NativeEndian.PutUint32(info[4:], uint32(len(data)))
	copy(info[8:], data)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.RNDADDENTROPY, uintptr(unsafe.Pointer(&info[0])))
	if errno != 0 {
		return fmt.Errorf("entropy: RNDADDENTROPY: %w", errno)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, then syncs the directory.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("entropy: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("entropy: save seed: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err == nil {
		err = tmp.Chmod(mode)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			return fmt.Errorf("entropy: save seed: %w", err)
		}
	} else {
		tmp.Close()
		return fmt.Errorf("entropy: save seed: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
