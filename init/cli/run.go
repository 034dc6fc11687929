package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"tandem/init/control"
	"tandem/init/haproxy"
	"tandem/init/runtime"
	"tandem/init/seed"
)

func init() {
	register("run", "--seed FILE [--state DIR] [--control SOCKET]  run the appliance runtime in this network namespace", run)
}

func run(env Env) int {
	fs := newFlags("run", env)
	seedPath := fs.String("seed", "", "the node's seed (TOML)")
	state := fs.String("state", "/var/lib/tandem", "state folder (HAProxy sockets, generated config)")
	sock := fs.String("control", control.DefaultSocket, "control socket to serve")
	if fs.Parse(env.Args) != nil {
		return 2
	}
	if *seedPath == "" {
		fmt.Fprintln(env.Stderr, "tandem run: --seed FILE is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := seed.Load(ctx, *seedPath, seed.Options{CheckHAProxy: checkHAProxy})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tandem run: the seed is not valid:\n")
		printProblems(env, err)
		return 1
	}
	go notifySystemd(ctx, *sock, env)
	err = runtime.Run(ctx, runtime.Options{
		Seed: c, SeedSource: *seedPath, StateDir: *state, ControlSocket: *sock, Console: env.Stderr,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tandem run: %v\n", err)
		return 1
	}
	return 0
}

// CheckHAProxy is the seed check's `haproxy -c`, for seed discovery at boot.
func CheckHAProxy(ctx context.Context, c *seed.Config) error { return checkHAProxy(ctx, c) }

// WaitReady polls the control socket until HAProxy is ready, ctx ends or
// the runtime reports its HAProxy unusable; it returns the last status.
func WaitReady(ctx context.Context, client *control.Client, every time.Duration) (control.Status, error) {
	for {
		s, err := client.Status(ctx)
		if err == nil && s.HAProxy.State == haproxy.StateReady {
			return s, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("HAProxy %s: %s", s.HAProxy.State, s.HAProxy.LastError)
			}
			return s, fmt.Errorf("not ready: %w", err)
		case <-time.After(every):
		}
	}
}

// notifySystemd tells systemd (Type=notify, NOTIFY_SOCKET set) READY=1 once
// HAProxy is ready, then, with WatchdogSec= (WATCHDOG_USEC), sends WATCHDOG=1
// at half the interval while the runtime answers its control socket, so a
// hung runtime is restarted. Without NOTIFY_SOCKET it does nothing.
func notifySystemd(ctx context.Context, sock string, env Env) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return
	}
	client := control.NewClient(sock)
	if _, err := WaitReady(ctx, client, 50*time.Millisecond); err != nil {
		return
	}
	if _, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		fmt.Fprintf(env.Stderr, "tandem run: sd_notify: %v\n", err)
	}
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			_, _ = daemon.SdNotify(false, daemon.SdNotifyStopping)
			return
		case <-t.C:
			probe, cancel := context.WithTimeout(ctx, interval/2)
			_, err := client.Status(probe)
			cancel()
			if err == nil {
				_, _ = daemon.SdNotify(false, daemon.SdNotifyWatchdog)
			}
		}
	}
}
