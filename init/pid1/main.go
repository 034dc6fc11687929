package pid1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"tandem/init/boot"
	"tandem/init/runtime"
	"tandem/init/seed"
	"tandem/init/supervise"
)

// WatchdogTimeout is what PID 1 asks of the hardware watchdog; it feeds it
// every third of that from its main loop.
const WatchdogTimeout = 30 * time.Second

// pid1 is the state of the first process.
type pid1 struct {
	start     time.Time
	log       *logger
	ring      *supervise.Ring
	sig       *boot.Signals
	container bool
	// reboots is false in a container or when not PID 1: then shutdown ends
	// with exit(0) instead of reboot(2).
	reboots  bool
	cmdline  string
	mounted  []boot.MountPoint // what PID 1 mounted, unmounted in reverse
	stateDir string
	stateErr string // the last reason for no state, logged once
	wd       *boot.Watchdog
	modules  *boot.ModuleDB // nil when there is no module index
	devLog   *supervise.SyslogListener
	requests chan boot.Request // from the console
	flush    func()            // shutdown: write what is queued for the console

	mu       sync.Mutex
	found    *seed.Found
	rtErr    error // why the runtime is not running; nil while it runs
	rtCancel context.CancelFunc
	rtDone   chan error
}

// Main is the first process: it boots the system, runs the appliance and,
// when asked, shuts it down. It never returns.
func Main() {
	p := &pid1{start: time.Now(), ring: supervise.NewRing(4000), requests: make(chan boot.Request, 1), rtErr: errNoSeed}
	p.log = newLogger(p.ring)
	ctx := context.Background()
	// An init works from the root: the directory it was started in may be
	// hidden by the mounts below (a fresh /tmp), and a child that inherits
	// a vanished working directory (HAProxy) refuses to start.
	_ = os.Chdir("/")

	// Mounts first: /proc, /sys and /dev are what everything else needs.
	results := boot.Mount(boot.DefaultMounts, "/")
	made, _ := ensurePtmx()
	in, out, consoleDesc := openConsole()
	consoleDone, stopConsole := p.startConsole(in, out)
	p.log.Logf("tandem %s starting as PID %d; console on %s", runtime.Version, os.Getpid(), consoleDesc)
	for i, r := range results {
		switch {
		case r.Err != nil:
			p.log.Logf("mount: %v", r)
		case !r.Already:
			p.mounted = append(p.mounted, boot.DefaultMounts[i])
		}
	}
	p.log.Logf("mount: %d mounted, %d already there", len(p.mounted), len(results)-len(p.mounted))
	if made {
		p.log.Log("/dev/ptmx: linked to pts/ptmx")
	}
	p.sig = boot.WatchSignals(ctx, p.log.Log, 0)
	p.container, p.reboots = p.detectContainer()
	p.step("/dev/log", func() (err error) {
		p.devLog, err = listenDevLog(p.ring, p.isMounted("/dev"), p.container)
		if err == nil {
			p.log.Log("/dev/log: syslog into the log ring")
		}
		return err
	})
	if !p.container {
		p.step("ctrl-alt-del", boot.DisableCAD)
	}
	var source string
	p.cmdline, source = kernelCmdline()
	p.log.Logf("command line (from %s): %s", source, p.cmdline)

	if p.container {
		p.log.Log("container: skipping kernel modules, the hardware watchdog and reboot")
	} else {
		p.step("modules", p.loadModules)
		p.step("watchdog", p.openWatchdog)
		p.step("power button", func() error { return p.watchPowerButton(ctx) })
	}
	p.step("sysctl", func() error { return boot.SetSysctls("/proc/sys", sysctls(p.container)) })
	p.step("loopback", boot.LoopbackUp)
	p.tryState()

	req := p.mainLoop(ctx)
	p.shutdown(req, stopConsole, consoleDone, out)
}

// isMounted reports whether PID 1 mounted target itself.
func (p *pid1) isMounted(target string) bool {
	for _, m := range p.mounted {
		if m.Target == target {
			return true
		}
	}
	return false
}

// detectContainer says whether this is a container, and whether PID 1 may
// reboot the machine at the end.
func (p *pid1) detectContainer() (container, reboots bool) {
	in, why := boot.InContainer()
	if in {
		p.log.Logf("container: yes, %s", why)
	}
	if os.Getpid() != 1 {
		p.log.Logf("not PID 1 (PID %d): acting as init, but shutdown will exit instead of rebooting", os.Getpid())
		return in, false
	}
	return in, !in
}

// startConsole serves the console prompt; stop ends it.
func (p *pid1) startConsole(in io.Reader, out io.Writer) (<-chan struct{}, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	return p.runConsole(ctx, in, out), cancel
}

func (p *pid1) openWatchdog() error {
	w, err := boot.OpenWatchdog("/dev/watchdog", WatchdogTimeout)
	if errors.Is(err, boot.ErrNoWatchdog) && p.modules != nil {
		if lerr := p.modules.Load(SoftWatchdog); lerr != nil {
			p.log.Logf("watchdog: no hardware watchdog, and %s: %v", SoftWatchdog, lerr)
		} else {
			p.log.Logf("watchdog: no hardware watchdog; loaded %s", SoftWatchdog)
			w, err = boot.OpenWatchdog("/dev/watchdog", WatchdogTimeout)
		}
	}
	if errors.Is(err, boot.ErrNoWatchdog) {
		p.log.Log("watchdog: none (/dev/watchdog absent)")
		return nil
	}
	if err != nil {
		return err
	}
	p.wd = w
	p.log.Logf("watchdog: armed, timeout %v, fed from the main loop", w.Timeout())
	return nil
}

// watchPowerButton turns an ACPI power button press (a hypervisor's
// "shut down") into an orderly power-off.
func (p *pid1) watchPowerButton(ctx context.Context) error {
	devs, err := boot.WatchPowerButton(ctx, "/sys", p.log.Log, func() {
		p.request(boot.ActionPowerOff, "the power button")
	})
	if errors.Is(err, boot.ErrNoPowerButton) {
		p.log.Log("power button: none; ACPI shutdown requests will not be seen")
		return nil
	}
	if err != nil {
		return err
	}
	p.log.Logf("power button: watching %s; a press powers off in order", strings.Join(devs, ", "))
	return nil
}

// tryState mounts the state folder when there is none yet, and on its
// first success feeds the saved entropy seed to the kernel.
func (p *pid1) tryState() {
	if p.stateDir != "" {
		return
	}
	p.step("state", func() error {
		dir, mp, err := mountState(p.cmdline, p.container)
		if mp != nil {
			p.mounted = append(p.mounted, *mp)
		}
		if err != nil {
			if err.Error() == p.stateErr {
				return nil // said already; looked again quietly
			}
			p.stateErr = err.Error()
			return fmt.Errorf("%w; the seed will not be persisted", err)
		}
		p.stateDir = dir
		if mp != nil {
			p.log.Logf("state: %s mounted on %s; state in %s", mp.Source, mp.Target, dir)
		} else {
			p.log.Logf("state: in %s", dir)
		}
		p.step("entropy", func() error {
			bits, err := boot.SeedEntropy(filepath.Join(dir, EntropyFile))
			p.log.Logf("entropy: credited %d bits from the saved seed", bits)
			return err
		})
		return nil
	})
}

// request asks the main loop to shut down (from the console).
func (p *pid1) request(a boot.Action, by string) {
	select {
	case p.requests <- boot.Request{Action: a, By: by}:
		p.log.Logf("%s requested by %s", a, by)
	default:
	}
}

func (p *pid1) setRuntime(err error) {
	p.mu.Lock()
	p.rtErr = err
	p.mu.Unlock()
}

func (p *pid1) runtimeState() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rtErr == nil {
		return "the runtime is running"
	}
	return "the runtime is not running: " + describe(p.rtErr)
}

func (p *pid1) seedReport() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.found.Report()
}

// sysctls is what PID 1 sets: all of boot.DefaultSysctls on the appliance,
// only the per-network-namespace ones in a container (kernel.* there would
// change the host).
func sysctls(container bool) []boot.Sysctl {
	if !container {
		return boot.DefaultSysctls
	}
	var out []boot.Sysctl
	for _, s := range boot.DefaultSysctls {
		if strings.HasPrefix(s.Key, "net.") {
			out = append(out, s)
		}
	}
	return out
}
