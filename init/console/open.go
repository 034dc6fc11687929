package console

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Devices PID 1 tries for its console, in order.
var Devices = []string{"/dev/console", "/dev/ttyS0"}

// OpenConsole opens the first console device that opens, read-write and
// without making it the controlling terminal (so a hangup does not signal
// PID 1).
func OpenConsole() (*os.File, error) {
	var errs []error
	for _, dev := range Devices {
		f, err := os.OpenFile(dev, os.O_RDWR|unix.O_NOCTTY, 0)
		if err == nil {
			return f, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("console: no console device: %w", errors.Join(errs...))
}
