package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen is the console output, safe to read while Run writes.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// rig runs a console on a pipe.
type rig struct {
	t      *testing.T
	in     *io.PipeWriter
	out    *screen
	feed   chan string
	calls  chan string
	offset int // output already checked
}

func start(t *testing.T, timeout time.Duration) *rig {
	r := &rig{t: t, out: &screen{}, feed: make(chan string, 10), calls: make(chan string, 10)}
	pr, pw := io.Pipe()
	r.in = pw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		pw.Close()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	})
	cmds := Commands{
		Status: func() string { return "role: active\nvip: 192.168.10.80/24" },
		Logs: func(n int) []string {
			var out []string
			for i := range n {
				out = append(out, fmt.Sprintf("log %d", i))
			}
			return out
		},
		Standby:       func() error { r.calls <- "standby"; return nil },
		Online:        func() error { return errors.New("peer unreachable") },
		Seed:          func() string { return "seed: from TANDEM volume /dev/sda1 (FAT16)\n" },
		Reboot:        func() { r.calls <- "reboot" },
		PowerOff:      func() { r.calls <- "poweroff" },
		Feed:          r.feed,
		PromptTimeout: timeout,
	}
	go func() { done <- Run(ctx, pr, r.out, cmds) }()
	return r
}

func (r *rig) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// expect waits until the output after the last check contains want.
func (r *rig) expect(want string) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := r.out.String()[r.offset:]
		if i := strings.Index(got, want); i >= 0 {
			r.offset += i + len(want)
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("console output %q lacks %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCommands(t *testing.T) {
	r := start(t, time.Minute)
	r.send("")
	r.expect(Prompt)
	for _, tc := range []struct{ in, want string }{
		{"status", "role: active\nvip: 192.168.10.80/24\n" + Prompt},
		{"logs", "log 0\n"},
		{"logs 3", "log 0\nlog 1\nlog 2\n" + Prompt},
		{"logs x", `logs: "x" is not a count`},
		{"logs 0", `logs: "0" is not a count`},
		{"seed", "seed: from TANDEM volume /dev/sda1 (FAT16)\n" + Prompt},
		{"standby", "standby: ok\n" + Prompt},
		{"online", "online: peer unreachable\n" + Prompt},
		{"status now", "status takes no arguments\n"},
		{"help", "logs [N]    the last N log lines"},
		{"frobnicate", `unknown command "frobnicate"; commands: status, logs [N]`},
	} {
		r.send(tc.in)
		r.expect(tc.want)
	}
	if got := <-r.calls; got != "standby" {
		t.Errorf("call = %s, want standby", got)
	}
}

func TestConfirmations(t *testing.T) {
	r := start(t, time.Minute)
	r.send("poweroff")
	r.expect("poweroff: really? [y/N] ")
	r.send("")
	r.expect("poweroff: cancelled\n" + Prompt)
	r.send("reboot")
	r.expect("reboot: really? [y/N] ")
	r.send("n")
	r.expect("reboot: cancelled")
	r.send("poweroff")
	r.expect("really? [y/N] ")
	r.send("y")
	r.expect("poweroff: now\n")
	if got := <-r.calls; got != "poweroff" {
		t.Errorf("call = %s, want poweroff", got)
	}
	r.send("reboot")
	r.send("yes")
	if got := <-r.calls; got != "reboot" {
		t.Errorf("call = %s, want reboot", got)
	}
	select {
	case c := <-r.calls:
		t.Errorf("unexpected call %s", c)
	default:
	}
}

// TestLogsHeldWhilePromptOpen checks logs scroll, pause at the prompt and
// come back, in order, when it closes.
func TestLogsHeldWhilePromptOpen(t *testing.T) {
	r := start(t, time.Minute)
	r.feed <- "scrolling 1"
	r.expect("scrolling 1\n")
	r.send("")
	r.expect(Prompt)
	r.feed <- "held 1"
	r.feed <- "held 2"
	r.send("status")
	r.expect("role: active")
	if strings.Contains(r.out.String(), "held") {
		t.Fatalf("a log line garbled the prompt:\n%s", r.out.String())
	}
	r.send("")
	r.expect("(prompt closed; logs resume, 2 line(s) held)\nheld 1\nheld 2\n")
	r.feed <- "scrolling 2"
	r.expect("scrolling 2\n")
}

func TestPromptTimesOut(t *testing.T) {
	r := start(t, 100*time.Millisecond)
	r.send("")
	r.expect(Prompt)
	r.feed <- "held"
	r.expect("(prompt timed out; logs resume, 1 line(s) held)\nheld\n")
	r.feed <- "after"
	r.expect("after\n")
}

func TestHeldLinesBounded(t *testing.T) {
	s := &session{out: io.Discard, open: true}
	for i := range MaxHeld + 7 {
		s.log(fmt.Sprint(i))
	}
	if len(s.held) != MaxHeld || s.dropped != 7 || s.held[0] != "7" {
		t.Errorf("held %d lines from %s, dropped %d; want %d from 7, dropped 7", len(s.held), s.held[0], s.dropped, MaxHeld)
	}
}

func TestNotAvailable(t *testing.T) {
	var out screen
	s := &session{out: &out}
	for _, c := range []string{"status", "logs", "standby", "reboot"} {
		s.input(c)
	}
	for _, want := range []string{"not available\n", "logs: not available", "standby: not available", "reboot: not available"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
}

// TestHeldLinesWrittenOnStop checks that stopping the console with the
// prompt open writes the lines it held instead of dropping them: whoever
// stops it (PID 1 at shutdown) takes over a log that must have no gap.
func TestHeldLinesWrittenOnStop(t *testing.T) {
	out := &screen{}
	feed := make(chan string) // unbuffered: a send returns once Run has the line
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, pr, out, Commands{Feed: feed}) }()

	r := &rig{t: t, in: pw, out: out}
	r.send("")
	r.expect(Prompt)
	feed <- "held 1"
	feed <- "held 2"
	r.send("reboot")
	r.expect("reboot: not available\n" + Prompt)
	feed <- "held 3"
	if strings.Contains(out.String(), "held") {
		t.Fatalf("a log line garbled the prompt:\n%s", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	want := "(console stopped; logs resume, 3 line(s) held)\nheld 1\nheld 2\nheld 3\n"
	if got := out.String()[r.offset:]; !strings.Contains(got, want) {
		t.Errorf("output after the prompt = %q, want it to contain %q", got, want)
	}
}
