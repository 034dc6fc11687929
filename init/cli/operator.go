package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"tandem/init/control"
)

func init() {
	register("status", "[--json] [--control SOCKET]  the cluster, roles, VIPs, HAProxy, heartbeat and failovers", status)
	register("standby", "[--control SOCKET]  hand the VIPs over now and stay standby", standby)
	register("online", "[--control SOCKET]  clear standby, bans and fail counts", online)
	register("reload", "[--control SOCKET]  check HAProxy's configuration and reload it without dropping connections", reload)
	register("logs", "[-n LINES] [--control SOCKET]  recent tandem and HAProxy logs", logs)
}

// controlFlag adds --control, defaulting to $TANDEM_CONTROL or the
// runtime's socket.
func controlFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("TANDEM_CONTROL")
	if def == "" {
		def = control.DefaultSocket
	}
	return fs.String("control", def, "control socket of the running node")
}

func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("tandem "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func status(env Env) int {
	fs := newFlags("status", env)
	asJSON := fs.Bool("json", false, "print the status as JSON (docs/status.md)")
	sock := controlFlag(fs)
	if fs.Parse(env.Args) != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := control.NewClient(*sock).Status(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tandem status: %v\n", err)
		return 1
	}
	if *asJSON {
		return printJSON(env.Stdout, s)
	}
	control.Render(env.Stdout, s)
	return 0
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

func standby(env Env) int {
	return simple(env, "standby", "the VIPs are handed over; this node stays standby until `tandem online`",
		func(ctx context.Context, c *control.Client) error { return c.Standby(ctx) })
}

func online(env Env) int {
	return simple(env, "online", "standby, bans and fail counts cleared",
		func(ctx context.Context, c *control.Client) error { return c.Online(ctx) })
}

func simple(env Env, name, done string, call func(context.Context, *control.Client) error) int {
	fs := newFlags(name, env)
	sock := controlFlag(fs)
	if fs.Parse(env.Args) != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := call(ctx, control.NewClient(*sock)); err != nil {
		fmt.Fprintf(env.Stderr, "tandem %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintln(env.Stdout, done)
	return 0
}

func reload(env Env) int {
	return simple(env, "reload", "HAProxy reloaded",
		func(ctx context.Context, c *control.Client) error { return c.Reload(ctx) })
}

func logs(env Env) int {
	fs := newFlags("logs", env)
	n := fs.Int("n", 200, "number of lines")
	sock := controlFlag(fs)
	if fs.Parse(env.Args) != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines, err := control.NewClient(*sock).Logs(ctx, *n)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tandem logs: %v\n", err)
		return 1
	}
	for _, l := range lines {
		fmt.Fprintln(env.Stdout, l)
	}
	return 0
}
