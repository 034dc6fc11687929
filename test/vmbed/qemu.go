package vmbed

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// OVMF is Debian's UEFI firmware for QEMU (package ovmf).
const OVMF = "/usr/share/ovmf/OVMF.fd"

// NIC is one network card on a tap device.
type NIC struct {
	Tap   string
	MAC   string
	Model string // QEMU device; default virtio-net-pci
}

// Spec describes one VM. Either Kernel (direct boot, with Initrd and
// Append) or UEFI (boot Disks[0] through OVMF) is set.
type Spec struct {
	Name   string
	Netns  string // where the taps live; QEMU runs there
	Kernel string
	Initrd string
	Append string
	UEFI   bool
	Disks  []string          // raw images, virtio, in order (vda, vdb...)
	CDROM  string            // an ISO image in the IDE CD-ROM drive (sr0)
	FwCfg  map[string]string // QEMU fw_cfg items: name → host file
	NICs   []NIC             // in order: eth0, eth1...
	MemMiB int               // default 512
	Dir    string            // console log and monitor socket
}

// VM is one running QEMU (TCG: KVM guests hang on these machines).
type VM struct {
	Name    string
	Started time.Time
	LogPath string

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	monitor string
	done    chan struct{}
	err     error

	mu      sync.Mutex
	console []byte
	changed chan struct{} // closed and replaced on every console write
	logf    *os.File
}

// Start boots a VM in the background.
func Start(s Spec) (*VM, error) {
	if s.MemMiB == 0 {
		s.MemMiB = 512
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("vm %s: %w", s.Name, err)
	}
	v := &VM{Name: s.Name, LogPath: filepath.Join(s.Dir, s.Name+"-console.log"),
		monitor: filepath.Join(s.Dir, s.Name+"-monitor.sock"), done: make(chan struct{}), changed: make(chan struct{})}
	_ = os.Remove(v.monitor)
	args := []string{"netns", "exec", s.Netns, "qemu-system-x86_64",
		"-name", s.Name, "-accel", "tcg", "-m", fmt.Sprint(s.MemMiB), "-smp", "1",
		"-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
		"-monitor", "unix:" + v.monitor + ",server=on,wait=off",
		"-device", "i6300esb", "-device", "virtio-rng-pci"}
	if s.UEFI {
		args = append(args, "-bios", OVMF)
	} else {
		args = append(args, "-kernel", s.Kernel, "-initrd", s.Initrd, "-append", s.Append)
	}
	for _, d := range s.Disks {
		args = append(args, "-drive", "file="+d+",format=raw,if=virtio")
	}
	for _, name := range slices.Sorted(maps.Keys(s.FwCfg)) {
		args = append(args, "-fw_cfg", "name="+name+",file="+s.FwCfg[name])
	}
	if s.CDROM != "" {
		args = append(args, "-cdrom", s.CDROM)
	}
	for i, n := range s.NICs {
		id := fmt.Sprintf("n%d", i)
		if n.Model == "" {
			n.Model = "virtio-net-pci"
		}
		args = append(args, "-netdev", "tap,id="+id+",ifname="+n.Tap+",script=no,downscript=no",
			"-device", n.Model+",netdev="+id+",mac="+n.MAC)
	}
	var err error
	if v.logf, err = os.Create(v.LogPath); err != nil {
		return nil, fmt.Errorf("vm %s: %w", s.Name, err)
	}
	v.cmd = exec.Command("ip", args...)
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if v.stdin, err = v.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := v.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	v.cmd.Stderr = v.cmd.Stdout
	v.Started = time.Now()
	if err := v.cmd.Start(); err != nil {
		v.logf.Close()
		return nil, fmt.Errorf("vm %s: start qemu: %w", s.Name, err)
	}
	copied := make(chan struct{})
	go func() { v.copyConsole(out); close(copied) }()
	go func() {
		<-copied // all output is in before Wait closes the pipe
		v.err = v.cmd.Wait()
		v.logf.Close()
		close(v.done)
	}()
	return v, nil
}

func (v *VM) copyConsole(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			v.mu.Lock()
			v.console = append(v.console, buf[:n]...)
			_, _ = v.logf.Write(buf[:n])
			close(v.changed)
			v.changed = make(chan struct{})
			v.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Console returns everything the VM wrote to its serial console.
func (v *VM) Console() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return string(v.console)
}

// Mark is a position in the console output, for WaitFrom.
func (v *VM) Mark() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.console)
}

// ErrExited means the VM ended while a console line was awaited.
var ErrExited = errors.New("the VM exited")

// WaitFrom waits until re matches the console output after mark, and
// returns the match and the position after it.
func (v *VM) WaitFrom(mark int, re *regexp.Regexp, timeout time.Duration) (string, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		v.mu.Lock()
		text := v.console[min(mark, len(v.console)):]
		loc := re.FindIndex(text)
		changed := v.changed
		v.mu.Unlock()
		if loc != nil {
			return string(text[loc[0]:loc[1]]), mark + loc[1], nil
		}
		select {
		case <-changed:
		case <-v.done:
			v.mu.Lock()
			loc = re.FindIndex(v.console[min(mark, len(v.console)):])
			v.mu.Unlock()
			if loc == nil {
				return "", mark, fmt.Errorf("vm %s: waiting for %q: %w", v.Name, re, ErrExited)
			}
		case <-deadline.C:
			return "", mark, fmt.Errorf("vm %s: no %q on the console within %v", v.Name, re, timeout)
		}
	}
}

// WaitLine waits for a complete console line containing re (anywhere
// since boot) and returns it.
func (v *VM) WaitLine(re string, timeout time.Duration) (string, error) {
	m, _, err := v.WaitFrom(0, regexp.MustCompile(`[^\n]*(?:`+re+`)[^\n]*\n`), timeout)
	return strings.TrimRight(m, "\r\n"), err
}

// Type writes to the serial console as if typed; "\r" is Enter.
func (v *VM) Type(s string) error {
	if _, err := io.WriteString(v.stdin, s); err != nil {
		return fmt.Errorf("vm %s: console input: %w", v.Name, err)
	}
	return nil
}

// promptRE is the appliance prompt at the end of the output.
var promptRE = regexp.MustCompile(`tandem> `)

// Prompt opens the console prompt (Enter), runs one command, closes the
// prompt again, and returns what the command printed.
func (v *VM) Prompt(command string, timeout time.Duration) (string, error) {
	mark := v.Mark()
	if err := v.Type("\r"); err != nil {
		return "", err
	}
	_, mark, err := v.WaitFrom(mark, promptRE, timeout)
	if err != nil {
		return "", err
	}
	if err := v.Type(command + "\r"); err != nil {
		return "", err
	}
	_, end, err := v.WaitFrom(mark, promptRE, timeout)
	if err != nil {
		return "", err
	}
	v.mu.Lock()
	out := string(v.console[mark : end-len("tandem> ")])
	v.mu.Unlock()
	_ = v.Type("\r") // close the prompt: held log lines resume
	out = strings.ReplaceAll(out, "\r\n", "\n")
	// Drop the echo of the command itself.
	if i := strings.Index(out, "\n"); i >= 0 && strings.TrimSpace(out[:i]) == command {
		out = out[i+1:]
	}
	return out, nil
}

// Monitor runs one QEMU monitor (HMP) command.
func (v *VM) Monitor(command string) error {
	c, err := net.DialTimeout("unix", v.monitor, 5*time.Second)
	if err != nil {
		return fmt.Errorf("vm %s: monitor: %w", v.Name, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if err := readUntilPrompt(r); err != nil {
		return fmt.Errorf("vm %s: monitor: %w", v.Name, err)
	}
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		return fmt.Errorf("vm %s: monitor %s: %w", v.Name, command, err)
	}
	// quit closes the connection instead of answering.
	if err := readUntilPrompt(r); err != nil && command != "quit" {
		return fmt.Errorf("vm %s: monitor %s: %w", v.Name, command, err)
	}
	return nil
}

func readUntilPrompt(r *bufio.Reader) error {
	var seen strings.Builder
	for !strings.HasSuffix(seen.String(), "(qemu) ") {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		seen.WriteByte(b)
	}
	return nil
}

// Quit stops the VM at once, as pulling the power cord would (monitor
// quit), and waits for QEMU to end.
func (v *VM) Quit() error {
	if err := v.Monitor("quit"); err != nil {
		return err
	}
	return v.Wait(10 * time.Second)
}

// PowerDown presses the ACPI power button (monitor system_powerdown).
func (v *VM) PowerDown() error { return v.Monitor("system_powerdown") }

// Wait waits for QEMU to end.
func (v *VM) Wait(timeout time.Duration) error {
	select {
	case <-v.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("vm %s: still running after %v", v.Name, timeout)
	}
}

// Exited reports whether QEMU has ended.
func (v *VM) Exited() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// Kill ends QEMU with SIGKILL and waits for it.
func (v *VM) Kill() {
	if v.Exited() {
		return
	}
	_ = v.cmd.Process.Kill()
	<-v.done
}
