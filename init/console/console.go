// Package console is the appliance's serial console: log lines scroll by,
// and pressing Enter opens a small prompt (tandem> ) for status, logs,
// standby/online, the seed report, reboot and poweroff. There is no login
// shell in the image; this is the whole interface.
//
// The package knows nothing of the runtime: the runtime hands it a
// Commands of functions and a channel of log lines.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Commands is what the prompt can do. A nil function makes its command
// answer "not available".
type Commands struct {
	Status   func() string
	Logs     func(n int) []string
	Standby  func() error
	Online   func() error
	Seed     func() string
	Reboot   func()
	PowerOff func()

	// Feed carries log lines to echo. While the prompt is open they are
	// held (up to MaxHeld, oldest dropped) and printed when it closes, or
	// when Run stops. The sender should not block on it: Run reads it only
	// between commands, and not at all once it has returned.
	Feed <-chan string
	// PromptTimeout closes an idle prompt; default DefaultPromptTimeout.
	PromptTimeout time.Duration
}

// Prompt is what the console shows when it waits for a command.
const Prompt = "tandem> "

// DefaultPromptTimeout closes a prompt with no input, so logs resume.
const DefaultPromptTimeout = 60 * time.Second

// MaxHeld bounds the log lines held while the prompt is open.
const MaxHeld = 500

// DefaultLogLines is what `logs` shows without a count.
const DefaultLogLines = 20

// maxLogLines bounds `logs N`.
const maxLogLines = 10000

const usage = "commands: status, logs [N], standby, online, seed, reboot, poweroff, help; an empty line closes the prompt"

const help = `status      the node's state: role, VIPs, HAProxy, peer
logs [N]    the last N log lines (default 20)
standby     give the VIPs to the peer and stay passive
online      take part in failover again
seed        where the seed came from, its summary, rejected seeds
reboot      restart the node (asks first)
poweroff    power the node off (asks first)
help        this text
Logs pause while the prompt is open; an empty line, or 60 s without input,
closes it and shows what was held.`

// session is the state of one Run.
type session struct {
	out     io.Writer
	cmds    Commands
	open    bool     // the prompt is open: logs are held
	confirm string   // "reboot" or "poweroff" awaiting y/N
	held    []string // log lines held while open
	dropped int
}

// Run serves the console until ctx ends. It reads lines from in and writes
// everything (logs, prompt, answers) to out from one goroutine, so output
// never interleaves. When in ends (a disconnected console), logs keep
// scrolling. When ctx ends with the prompt open, Run closes it and writes
// the log lines it held before returning.
func Run(ctx context.Context, in io.Reader, out io.Writer, cmds Commands) error {
	if cmds.PromptTimeout <= 0 {
		cmds.PromptTimeout = DefaultPromptTimeout
	}
	s := &session{out: out, cmds: cmds}
	lines := make(chan string)
	go readLines(ctx, in, lines)

	idle := time.NewTimer(time.Hour)
	idle.Stop()
	feed := cmds.Feed
	for {
		select {
		case <-ctx.Done():
			// Whoever stops the console takes the log over; the lines
			// held for an open prompt are its to show, not to lose.
			if s.open {
				s.close("console stopped")
			}
			return ctx.Err()
		case line, ok := <-lines:
			if !ok {
				lines = nil // input closed; keep echoing logs
				if s.open {
					s.close("input closed")
				}
				continue
			}
			s.input(line)
			if s.open {
				idle.Reset(cmds.PromptTimeout)
			} else {
				idle.Stop()
			}
		case l, ok := <-feed:
			if !ok {
				feed = nil
				continue
			}
			s.log(l)
		case <-idle.C:
			if s.open {
				s.close("prompt timed out")
			}
		}
	}
}

func readLines(ctx context.Context, in io.Reader, lines chan<- string) {
	defer close(lines)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		select {
		case lines <- strings.TrimRight(sc.Text(), "\r"):
		case <-ctx.Done():
			return
		}
	}
}

func (s *session) printf(format string, args ...any) {
	fmt.Fprintf(s.out, format, args...)
}

func (s *session) log(l string) {
	if !s.open {
		s.printf("%s\n", l)
		return
	}
	if len(s.held) >= MaxHeld {
		s.held = s.held[1:]
		s.dropped++
	}
	s.held = append(s.held, l)
}

// close closes the prompt and prints the logs held while it was open.
func (s *session) close(why string) {
	s.open, s.confirm = false, ""
	s.printf("\n(%s; logs resume", why)
	if n := len(s.held) + s.dropped; n > 0 {
		s.printf(", %d line(s) held", n)
		if s.dropped > 0 {
			s.printf(", the first %d dropped", s.dropped)
		}
	}
	s.printf(")\n")
	for _, l := range s.held {
		s.printf("%s\n", l)
	}
	s.held, s.dropped = nil, 0
}

// input handles one line typed at the console.
func (s *session) input(line string) {
	line = strings.TrimSpace(line)
	if s.confirm != "" {
		what := s.confirm
		s.confirm = ""
		if line == "y" || line == "Y" || strings.EqualFold(line, "yes") {
			s.printf("%s: now\n", what)
			if what == "reboot" {
				s.cmds.Reboot()
			} else {
				s.cmds.PowerOff()
			}
			return
		}
		s.printf("%s: cancelled\n%s", what, Prompt)
		return
	}
	if line == "" {
		if s.open {
			s.close("prompt closed")
			return
		}
		s.open = true
		s.printf("\n%s", Prompt)
		return
	}
	// A command typed while logs scroll opens the prompt too.
	s.open = true
	if s.run(line) {
		s.printf("%s", Prompt)
	}
}

// run executes one command; it returns false when it asked a question
// instead of finishing.
func (s *session) run(line string) bool {
	f := strings.Fields(line)
	name, args := f[0], f[1:]
	noArgs := func() bool {
		if len(args) > 0 {
			s.printf("%s takes no arguments\n", name)
			return false
		}
		return true
	}
	switch name {
	case "help", "?":
		s.printf("%s\n", help)
	case "status":
		if noArgs() {
			s.text(s.cmds.Status)
		}
	case "seed":
		if noArgs() {
			s.text(s.cmds.Seed)
		}
	case "logs":
		n := DefaultLogLines
		if len(args) > 1 {
			s.printf("usage: logs [N]\n")
			break
		}
		if len(args) == 1 {
			v, err := strconv.Atoi(args[0])
			if err != nil || v < 1 || v > maxLogLines {
				s.printf("logs: %q is not a count from 1 to %d\n", args[0], maxLogLines)
				break
			}
			n = v
		}
		if s.cmds.Logs == nil {
			s.printf("logs: not available\n")
			break
		}
		for _, l := range s.cmds.Logs(n) {
			s.printf("%s\n", l)
		}
	case "standby", "online":
		fn := s.cmds.Standby
		if name == "online" {
			fn = s.cmds.Online
		}
		if !noArgs() {
			break
		}
		if fn == nil {
			s.printf("%s: not available\n", name)
		} else if err := fn(); err != nil {
			s.printf("%s: %v\n", name, err)
		} else {
			s.printf("%s: ok\n", name)
		}
	case "reboot", "poweroff":
		fn := s.cmds.Reboot
		if name == "poweroff" {
			fn = s.cmds.PowerOff
		}
		if !noArgs() {
			break
		}
		if fn == nil {
			s.printf("%s: not available\n", name)
			break
		}
		s.confirm = name
		s.printf("%s: really? [y/N] ", name)
		return false
	case "exit", "quit":
		s.close("prompt closed")
		return false
	default:
		s.printf("unknown command %q; %s\n", name, usage)
	}
	return true
}

func (s *session) text(fn func() string) {
	if fn == nil {
		s.printf("not available\n")
		return
	}
	t := fn()
	if !strings.HasSuffix(t, "\n") {
		t += "\n"
	}
	s.printf("%s", t)
}
