package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"tandem/init/control"
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
	err = runtime.Run(ctx, runtime.Options{
		Seed: c, SeedSource: *seedPath, StateDir: *state, ControlSocket: *sock, Console: env.Stderr,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tandem run: %v\n", err)
		return 1
	}
	return 0
}
