package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoWatchdog means there is no watchdog device at the path.
var ErrNoWatchdog = errors.New("no watchdog device")

// Watchdog is an open, armed hardware watchdog. Opening the device arms it;
// from then on the machine resets unless Feed is called within Timeout.
type Watchdog struct {
	f       *os.File
	timeout time.Duration
}

// OpenWatchdog opens and arms the watchdog at path (normally /dev/watchdog)
// and asks for timeout (rounded to whole seconds). Drivers that cannot
// change their timeout keep their own, which Timeout reports. A path that
// does not exist or has no driver behind it gives ErrNoWatchdog.
func OpenWatchdog(path string, timeout time.Duration) (*Watchdog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return nil, fmt.Errorf("watchdog %s: %w", path, ErrNoWatchdog)
		}
		return nil, fmt.Errorf("watchdog %s: %w", path, err)
	}
	w := &Watchdog{f: f}
	secs := int32(timeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	setErr := w.ioctlInt(unix.WDIOC_SETTIMEOUT, &secs)
	var got int32
	if err := w.ioctlInt(unix.WDIOC_GETTIMEOUT, &got); err == nil && got > 0 {
		w.timeout = time.Duration(got) * time.Second
	} else if setErr == nil {
		w.timeout = time.Duration(secs) * time.Second
	} else {
		// Neither call works: this is not a watchdog. Close without the
		// magic byte would leave a real one armed, so write it first.
		_, _ = f.Write([]byte("V"))
		f.Close()
		return nil, fmt.Errorf("watchdog %s: not a watchdog device: %w", path, setErr)
	}
	return w, nil
}

func (w *Watchdog) ioctlInt(req uint, v *int32) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, w.f.Fd(), uintptr(req), uintptr(unsafe.Pointer(v)))
	if errno != 0 {
		return errno
	}
	return nil
}

// Timeout is the timeout the driver actually uses.
func (w *Watchdog) Timeout() time.Duration { return w.timeout }

// Feed restarts the countdown (WDIOC_KEEPALIVE, or a write for drivers
// without the ioctl).
func (w *Watchdog) Feed() error {
	var dummy int32
	err := w.ioctlInt(unix.WDIOC_KEEPALIVE, &dummy)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) {
		_, err = w.f.Write([]byte{0})
	}
	if err != nil {
		return fmt.Errorf("watchdog: feed: %w", err)
	}
	return nil
}

// Run feeds the watchdog every Timeout/3 until ctx ends. It does not close
// it: a PID 1 that stops feeding on purpose wants the reset.
func (w *Watchdog) Run(ctx context.Context, log func(string)) {
	every := w.timeout / 3
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Feed(); err != nil && log != nil {
			log(err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close disarms the watchdog with the magic close ('V' then close). Drivers
// built with nowayout stay armed regardless; the next boot re-opens it.
func (w *Watchdog) Close() error {
	_, werr := w.f.Write([]byte("V"))
	cerr := w.f.Close()
	if werr != nil {
		return fmt.Errorf("watchdog: magic close: %w", werr)
	}
	if cerr != nil {
		return fmt.Errorf("watchdog: close: %w", cerr)
	}
	return nil
}
