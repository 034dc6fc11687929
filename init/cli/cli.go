// Package cli is tandem's command line: one multi-call binary whose
// subcommands are thin shells over the runtime packages.
package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what a command may touch: its arguments and standard streams.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	usage string
	run   func(env Env) int
}

var commands = map[string]command{}

func register(name, usage string, run func(env Env) int) {
	commands[name] = command{usage: usage, run: run}
}

// Main runs the subcommand named by args[1] and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := Env{Args: args, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		usage(stdout)
		if len(args) < 2 {
			return 2
		}
		return 0
	}
	// Two-word commands ("seed check") are looked up first.
	if len(args) >= 3 {
		if c, ok := commands[args[1]+" "+args[2]]; ok {
			env.Args = args[3:]
			return c.run(env)
		}
	}
	c, ok := commands[args[1]]
	if !ok {
		fmt.Fprintf(stderr, "tandem: unknown command %q\n\n", strings.Join(args[1:], " "))
		usage(stderr)
		return 2
	}
	env.Args = args[2:]
	return c.run(env)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "tandem: a two-node HAProxy load-balancer appliance\n\nUsage:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  tandem %-14s %s\n", n, commands[n].usage)
	}
}
