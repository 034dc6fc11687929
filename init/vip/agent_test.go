package vip

// The agent is this test binary re-executed under `ip netns exec NS`, so
// every socket the package opens lives in the node's namespace exactly as
// in production. It reads one command per line on stdin and answers
// "ok ..." or "err ..."; asynchronous reports are lines starting "event".

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const agentEnv = "TANDEM_VIP_TEST_AGENT"

func TestMain(m *testing.M) {
	if os.Getenv(agentEnv) == "1" {
		runAgent(os.Stdin, os.Stdout)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// parseVIPs reads "link prefix link prefix ..." pairs.
func parseVIPs(args []string) ([]VIP, error) {
	if len(args) == 0 || len(args)%2 != 0 {
		return nil, fmt.Errorf("want link/prefix pairs, got %q", args)
	}
	var vips []VIP
	for i := 0; i < len(args); i += 2 {
		p, err := netip.ParsePrefix(args[i+1])
		if err != nil {
			return nil, err
		}
		vips = append(vips, VIP{Prefix: p, Link: args[i]})
	}
	return vips, nil
}

func runAgent(in io.Reader, out io.Writer) {
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format+"\n", a...)
	}
	ctx := context.Background()
	var h *Holder
	var stopClaims context.CancelFunc
	var claimsDone <-chan struct{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		err := func() error {
			switch f[0] {
			case "hold": // hold refreshMs default|none|ms,ms,... link prefix ...
				ms, err := strconv.Atoi(f[1])
				if err != nil {
					return err
				}
				var schedule []time.Duration
				switch f[2] {
				case "default":
				case "none":
					schedule = []time.Duration{}
				default:
					for _, o := range strings.Split(f[2], ",") {
						n, err := strconv.Atoi(o)
						if err != nil {
							return err
						}
						schedule = append(schedule, time.Duration(n)*time.Millisecond)
					}
				}
				vips, err := parseVIPs(f[3:])
				if err != nil {
					return err
				}
				cfg := Config{VIPs: vips, Schedule: schedule, Refresh: time.Duration(ms) * time.Millisecond}
				if h, err = NewHolder(cfg); err != nil {
					return err
				}
				w, err := h.Watch(ctx)
				if err != nil {
					return err
				}
				go func() {
					for e := range w.Links() {
						say("event link %s %v %d", e.Link, e.Up, time.Now().UnixNano())
					}
				}()
				go func() {
					// Play the runtime: report, then re-add at once.
					for v := range w.Lost() {
						say("event lost %s %d", v.Prefix, time.Now().UnixNano())
						if err := h.Acquire(ctx); err != nil {
							say("event readd-failed %v", err)
							continue
						}
						say("event readded %s %d", v.Prefix, time.Now().UnixNano())
					}
				}()
				say("ok")
			case "acquire":
				start := time.Now()
				if err := h.Acquire(ctx); err != nil {
					return err
				}
				say("ok %d", time.Since(start).Microseconds())
			case "release":
				if err := h.Release(ctx); err != nil {
					return err
				}
				say("ok")
			case "held":
				say("ok %v", h.Held())
			case "has": // has link prefix: checked with netlink in this namespace
				vips, err := parseVIPs(f[1:])
				if err != nil {
					return err
				}
				has, err := hasAddress(vips[0])
				if err != nil {
					return err
				}
				say("ok %v", has)
			case "probe": // probe waitMs link prefix
				ms, err := strconv.Atoi(f[1])
				if err != nil {
					return err
				}
				vips, err := parseVIPs(f[2:])
				if err != nil {
					return err
				}
				start := time.Now()
				answered, by, err := Probe(ctx, vips[0], time.Duration(ms)*time.Millisecond)
				took := time.Since(start)
				if err != nil {
					return err
				}
				mac := "-"
				if by != nil {
					mac = by.String()
				}
				say("ok %v %s %d", answered, mac, took.Microseconds())
			case "claims": // claims link prefix ...
				vips, err := parseVIPs(f[1:])
				if err != nil {
					return err
				}
				cctx, cancel := context.WithCancel(ctx)
				cw, err := NewClaimWatcher(cctx, vips, nil)
				if err != nil {
					cancel()
					return err
				}
				stopClaims, claimsDone = cancel, cw.Done()
				go func() {
					for c := range cw.Claims() {
						say("event claim %s %s %d", c.VIP, c.MAC, c.At.UnixNano())
					}
				}()
				say("ok")
			case "stopclaims":
				stopClaims()
				select {
				case <-claimsDone:
				case <-time.After(2 * time.Second):
					return fmt.Errorf("claim watcher did not stop")
				}
				say("ok")
			default:
				return fmt.Errorf("unknown command %q", f[0])
			}
			return nil
		}()
		if err != nil {
			say("err %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
}

// agent is the test side of one agent process.
type agent struct {
	t       *testing.T
	name    string
	in      io.WriteCloser
	replies chan string
	events  chan string
}

func startAgent(t *testing.T, ns string) *agent {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, exe)
	cmd.Env = append(os.Environ(), agentEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &agent{t: t, name: ns, in: in, replies: make(chan string, 16), events: make(chan string, 256)}
	go func() {
		sc := bufio.NewScanner(outp)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "event ") {
				a.events <- strings.TrimPrefix(line, "event ")
			} else {
				a.replies <- line
			}
		}
	}()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return a
}

// do sends a command and returns the reply fields after "ok".
func (a *agent) do(format string, args ...any) []string {
	a.t.Helper()
	line := fmt.Sprintf(format, args...)
	if _, err := fmt.Fprintln(a.in, line); err != nil {
		a.t.Fatalf("%s: %s: %v", a.name, line, err)
	}
	select {
	case r := <-a.replies:
		f := strings.Fields(r)
		if len(f) == 0 || f[0] != "ok" {
			a.t.Fatalf("%s: %s: %s", a.name, line, r)
		}
		return f[1:]
	case <-time.After(10 * time.Second):
		a.t.Fatalf("%s: %s: no reply", a.name, line)
	}
	return nil
}

// event waits for an event whose text starts with prefix, skipping
// others, and returns its fields and the agent's timestamp (last field).
func (a *agent) event(prefix string, timeout time.Duration) ([]string, time.Time) {
	a.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-a.events:
			if !strings.HasPrefix(e, prefix) {
				continue
			}
			f := strings.Fields(e)
			ns, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
			return f, time.Unix(0, ns)
		case <-deadline:
			a.t.Fatalf("%s: no event %q within %v", a.name, prefix, timeout)
		}
	}
}

// noEvent asserts that no event starting with prefix arrives within d.
func (a *agent) noEvent(prefix string, d time.Duration) {
	a.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-a.events:
			if strings.HasPrefix(e, prefix) {
				a.t.Fatalf("%s: unexpected event %q", a.name, e)
			}
		case <-deadline:
			return
		}
	}
}
