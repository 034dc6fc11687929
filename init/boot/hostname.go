package boot

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// SetHostname sets the kernel hostname after checking it is a valid DNS
// label sequence of at most 64 bytes (the kernel's limit).
func SetHostname(name string) error {
	if err := validHostname(name); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("hostname %q: %w", name, err)
	}
	return nil
}

func validHostname(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("hostname %q: must be 1 to 64 bytes", name)
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return fmt.Errorf("hostname %q: empty label", name)
			}
			label = 0
			continue
		case c == '-':
			if label == 0 || i+1 == len(name) || name[i+1] == '.' {
				return fmt.Errorf("hostname %q: label starts or ends with '-'", name)
			}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			return fmt.Errorf("hostname %q: invalid byte %q", name, c)
		}
		label++
		if label > 63 {
			return fmt.Errorf("hostname %q: label longer than 63", name)
		}
	}
	return nil
}

// LoopbackUp brings lo up in the current network namespace. The kernel
// assigns 127.0.0.1/8 and ::1 itself when the link goes up.
func LoopbackUp() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("loopback: set up: %w", err)
	}
	return nil
}
