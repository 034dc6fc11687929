package boot

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The ACPI power button reaches user space only as an input device: the
// kernel's button driver reports KEY_POWER through evdev, and on a desktop
// systemd-logind or acpid turns it into a shutdown. The appliance has
// neither, so PID 1 reads the event device itself. This is what makes a
// hypervisor's "shut down" (QEMU system_powerdown, virsh shutdown, a cloud
// console's stop button) an orderly shutdown instead of a hard stop.

const (
	evKey    = 0x01 // EV_KEY
	keyPower = 116  // KEY_POWER
	// An input_event on 64-bit Linux: struct timeval (16 bytes), type,
	// code (uint16 each) and value (int32).
	inputEventSize = 24
)

// PowerButtons returns the event devices (/dev/input/eventN) whose input
// device is a power button, read from sysRoot/class/input.
func PowerButtons(sysRoot string) ([]string, error) {
	dir := filepath.Join(sysRoot, "class", "input")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("power button: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "event") {
			continue
		}
		name, err := os.ReadFile(filepath.Join(dir, e.Name(), "device", "name"))
		if err != nil {
			continue
		}
		if strings.Contains(strings.ToLower(string(name)), "power button") {
			out = append(out, "/dev/input/"+e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// ErrNoPowerButton means no input device is a power button (no ACPI, or
// the button or evdev driver is missing).
var ErrNoPowerButton = errors.New("no power button input device")

// WatchPowerButton calls pressed each time a power button is pressed,
// until ctx ends. It returns the devices it watches, or ErrNoPowerButton.
func WatchPowerButton(ctx context.Context, sysRoot string, log func(string), pressed func()) ([]string, error) {
	devs, err := PowerButtons(sysRoot)
	if err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, ErrNoPowerButton
	}
	var opened []string
	for _, dev := range devs {
		f, err := os.Open(dev)
		if err != nil {
			log(fmt.Sprintf("power button: %v", err))
			continue
		}
		opened = append(opened, dev)
		Go("power button "+dev, log, func() {
			defer f.Close()
			go func() { <-ctx.Done(); f.Close() }()
			readPowerKey(f, pressed, func(err error) {
				if ctx.Err() == nil {
					log(fmt.Sprintf("power button %s: %v", dev, err))
				}
			})
		})
	}
	if len(opened) == 0 {
		return nil, fmt.Errorf("power button: none of %s could be opened", strings.Join(devs, ", "))
	}
	return opened, nil
}

// readPowerKey reads input events from r and calls pressed on every
// KEY_POWER press (value 1; 0 is the release, 2 autorepeat). A read error
// ends it and is passed to failed, after a short pause against a busy loop
// on a device that keeps failing.
func readPowerKey(r io.Reader, pressed func(), failed func(error)) {
	var ev [inputEventSize]byte
	for {
		if _, err := io.ReadFull(r, ev[:]); err != nil {
			failed(err)
			time.Sleep(100 * time.Millisecond)
			return
		}
		typ := binary.NativeEndian.Uint16(ev[16:18])
		code := binary.NativeEndian.Uint16(ev[18:20])
		value := int32(binary.NativeEndian.Uint32(ev[20:24]))
		if typ == evKey && code == keyPower && value == 1 {
			pressed()
		}
	}
}
