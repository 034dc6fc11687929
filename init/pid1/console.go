package pid1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"tandem/init/boot"
	"tandem/init/console"
	"tandem/init/control"
	"tandem/init/supervise"
)

// fdOpen reports whether fd is an open file descriptor.
func fdOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// openConsole returns what the console reads and writes. The kernel starts
// init with fds 0-2 on /dev/console when the initramfs has the node; when
// it has not, they are closed, and the console device (now that devtmpfs is
// mounted) is opened and put on 0-2 so children such as HAProxy inherit it.
// Under a container or a test the inherited stdin/stdout are the console.
func openConsole() (in io.Reader, out io.Writer, desc string) {
	if !fdOpen(1) {
		f, err := console.OpenConsole()
		if err != nil {
			return strings.NewReader(""), io.Discard, fmt.Sprintf("none (%v); logs only in the ring", err)
		}
		for _, fd := range []int{0, 1, 2} {
			_ = unix.Dup2(int(f.Fd()), fd)
		}
		f.Close()
		return os.Stdin, os.Stdout, f.Name()
	}
	in = os.Stdin
	if !fdOpen(0) {
		in = strings.NewReader("")
	}
	return in, os.Stdout, "standard output"
}

// listenDevLog serves /dev/log into the ring when /dev is PID 1's own: a
// devtmpfs it mounted, or the machine's when not in a container. In a
// container /dev is shared with the host or the manager, and its /dev/log
// belongs to someone else. An existing /dev/log is never replaced.
func listenDevLog(ring *supervise.Ring, mountedDev, container bool) (*supervise.SyslogListener, error) {
	const path = "/dev/log"
	if container && !mountedDev {
		return nil, fmt.Errorf("container: /dev is not ours; not creating %s", path)
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s exists already; not replacing it", path)
	}
	return supervise.ListenSyslog(path, ring)
}

// ensurePtmx makes /dev/ptmx point at the private devpts instance when the
// device file is missing (a /dev without one).
func ensurePtmx() (bool, error) {
	if _, err := os.Lstat("/dev/ptmx"); err == nil {
		return false, nil
	}
	if err := os.Symlink("pts/ptmx", "/dev/ptmx"); err != nil {
		return false, fmt.Errorf("/dev/ptmx: %w", err)
	}
	return true, nil
}

// consoleCommands are the prompt's commands: the runtime's through its
// control socket, the seed report and shutdown requests from PID 1.
func (p *pid1) consoleCommands() console.Commands {
	client := control.NewClient(control.DefaultSocket)
	call := func(fn func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			return fmt.Errorf("%w (%s)", err, p.runtimeState())
		}
		return nil
	}
	return console.Commands{
		Status: func() string {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s, err := client.Status(ctx)
			if err != nil {
				return "the runtime is not answering: " + p.runtimeState() + "\n" + p.seedReport()
			}
			var b strings.Builder
			control.Render(&b, s)
			return b.String()
		},
		Logs: func(n int) []string {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if lines, err := client.Logs(ctx, n); err == nil {
				return lines
			}
			// No runtime: PID 1's own lines are in the same ring.
			var out []string
			for _, l := range p.ring.Lines(n) {
				out = append(out, l.At.Format(time.DateTime+".000")+" "+l.Source+": "+l.Text)
			}
			return out
		},
		Standby:  func() error { return call(client.Standby) },
		Online:   func() error { return call(client.Online) },
		Seed:     p.seedReport,
		Reboot:   func() { p.request(boot.ActionReboot, "the console") },
		PowerOff: func() { p.request(boot.ActionPowerOff, "the console") },
		Feed:     p.log.queue.C(),
	}
}

// runConsole serves the console until ctx ends; a panic restarts it.
func (p *pid1) runConsole(ctx context.Context, in io.Reader, out io.Writer) (done <-chan struct{}) {
	ch := make(chan struct{})
	cmds := p.consoleCommands()
	boot.Go("console", p.log.Log, func() {
		defer close(ch)
		for ctx.Err() == nil {
			err := runRecovered("console", p.log.Log, func() error { return console.Run(ctx, in, out, cmds) })
			if err != nil && !errors.Is(err, context.Canceled) {
				time.Sleep(time.Second)
			}
		}
	})
	return ch
}

// flushConsole writes what is still queued for the console once the
// console loop has ended: the last shutdown lines must be seen.
func (p *pid1) flushConsole(out io.Writer) {
	for {
		select {
		case l := <-p.log.queue.C():
			fmt.Fprintln(out, l)
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}
