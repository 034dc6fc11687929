package pid1

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tandem/init/seed"
	"tandem/init/supervise"
)

func TestStampIsKernelStyle(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "[    0.000000] ",
		1234567 * time.Microsecond:            "[    1.234567] ",
		123456*time.Second + time.Microsecond: "[123456.000001] ",
	} {
		if got := stamp(d); got != want {
			t.Errorf("stamp(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLoggerRingAndConsole(t *testing.T) {
	ring := supervise.NewRing(10)
	l := newLogger(ring)
	l.Log("one\ntwo")
	w := &consoleWriter{l: l}
	_, _ = w.Write([]byte("runtime a\nrunt"))
	_, _ = w.Write([]byte("ime b\npartial"))
	var got []string
	for range 4 {
		select {
		case s := <-l.queue.C():
			got = append(got, s)
		case <-time.After(time.Second):
			t.Fatalf("console got only %q", got)
		}
	}
	want := []string{"tandem: one", "tandem: two", "runtime a", "runtime b"}
	for i, s := range got {
		if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "] "+want[i]) {
			t.Errorf("console line %d = %q, want a stamp then %q", i, s, want[i])
		}
	}
	// Only PID 1's own lines go to the ring: the runtime adds its own.
	lines := ring.Lines(0)
	if len(lines) != 2 || lines[0].Text != "one" || lines[1].Source != "init" {
		t.Errorf("ring = %+v", lines)
	}
}

func TestRunRecoveredTurnsPanicIntoError(t *testing.T) {
	var logged []string
	err := runRecovered("part", func(s string) { logged = append(logged, s) }, func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "part: panic: boom") || !strings.Contains(logged[0], "goroutine") {
		t.Errorf("logged %q, want the panic with its stack", logged)
	}
	if err := runRecovered("part", nil, func() error { return nil }); err != nil {
		t.Errorf("no panic: err = %v", err)
	}
}

func TestStepGoesOnAfterPanicAndError(t *testing.T) {
	p := &pid1{log: newLogger(supervise.NewRing(10))}
	ran := 0
	p.step("a", func() error { ran++; panic("x") })
	p.step("b", func() error { ran++; return errors.New("bad") })
	p.step("c", func() error { ran++; return nil })
	if ran != 3 {
		t.Fatalf("%d steps ran, want 3", ran)
	}
	lines := p.log.ring.Lines(0)
	joined := ""
	for _, l := range lines {
		joined += l.Text + "\n"
	}
	if !strings.Contains(joined, "a: panic: x") || !strings.Contains(joined, "b: bad") {
		t.Errorf("log = %q", joined)
	}
}

func TestContainerSysctlsAreNetworkOnly(t *testing.T) {
	for _, s := range sysctls(true) {
		if !strings.HasPrefix(s.Key, "net.") {
			t.Errorf("container sets %s, a host-wide key", s.Key)
		}
	}
	if len(sysctls(true)) == 0 || len(sysctls(false)) <= len(sysctls(true)) {
		t.Errorf("appliance %d keys, container %d", len(sysctls(false)), len(sysctls(true)))
	}
}

func TestShortReason(t *testing.T) {
	if r := shortReason(&seed.Found{}); !strings.Contains(r, "none found") {
		t.Errorf("empty: %q", r)
	}
	f := &seed.Found{Rejected: []seed.Rejection{
		{Source: "volume", Err: errors.New("read error")},
		{Source: "kernel command line", Err: seed.Problems{{File: "s.toml", Line: 3, Col: 1, Key: "node.key", Msg: "too short"}, {Key: "x"}}},
	}}
	r := shortReason(f)
	if !strings.Contains(r, "kernel command line: 2 problem(s)") || !strings.Contains(r, "node.key") {
		t.Errorf("got %q", r)
	}
}

func TestSeedDNSKeepsOrderDropsDuplicates(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	c := &seed.Config{Interfaces: []seed.Interface{{DNS: []netip.Addr{b, a}}, {DNS: []netip.Addr{a}}}}
	got := seedDNS(c)
	if len(got) != 2 || got[0] != b || got[1] != a {
		t.Errorf("seedDNS = %v", got)
	}
}
