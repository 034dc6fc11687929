package boot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSysctlPath(t *testing.T) {
	for key, want := range map[string]string{
		"net.ipv4.ip_forward":               "/p/net/ipv4/ip_forward",
		"net/ipv4/conf/eth0.100/arp_ignore": "/p/net/ipv4/conf/eth0.100/arp_ignore",
	} {
		if got, err := SysctlPath("/p", key); err != nil || got != want {
			t.Errorf("SysctlPath(%q) = %q, %v", key, got, err)
		}
	}
	for _, bad := range []string{"", "net..x", "net/../../etc/passwd", "a//b"} {
		if _, err := SysctlPath("/p", bad); err == nil {
			t.Errorf("SysctlPath(%q) accepted", bad)
		}
	}
}

func TestSetSysctls(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "net", "ipv4"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "net", "ipv4", "ip_forward"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := SetSysctls(dir, []Sysctl{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.missing", "1"}})
	if err == nil || !strings.Contains(err.Error(), "net.ipv4.missing") {
		t.Errorf("missing key: err = %v", err)
	}
	if v, _ := GetSysctl(dir, "net.ipv4.ip_forward"); v != "1" {
		t.Errorf("ip_forward = %q after a later key failed", v)
	}
	if fileExists(filepath.Join(dir, "net", "ipv4", "missing")) {
		t.Error("SetSysctls created a file")
	}
}

func TestValidHostname(t *testing.T) {
	for _, ok := range []string{"tk-node1", "a", "lb1.example.org", strings.Repeat("a", 63)} {
		if err := validHostname(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "a..b", "a_b", "a b", strings.Repeat("a", 64) + ".b", strings.Repeat("a", 64)} {
		if validHostname(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSeedEntropy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("RNDADDENTROPY needs CAP_SYS_ADMIN")
	}
	path := filepath.Join(t.TempDir(), "var", "lib", "tandem", "random-seed")
	// First boot: no seed, nothing credited, a seed is written.
	bits, err := SeedEntropy(path)
	if err != nil || bits != 0 {
		t.Fatalf("first boot: %d bits, %v", bits, err)
	}
	first, err := os.ReadFile(path)
	if err != nil || len(first) != SeedSize {
		t.Fatalf("seed after first boot: %d bytes, %v", len(first), err)
	}
	// Next boot: the seed is credited and replaced.
	bits, err = SeedEntropy(path)
	if err != nil || bits != SeedSize*8 {
		t.Fatalf("second boot: %d bits, %v", bits, err)
	}
	second, _ := os.ReadFile(path)
	if len(second) != SeedSize || bytes.Equal(first, second) {
		t.Error("seed not replaced")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("seed mode %v", fi.Mode().Perm())
	}
	// A seed that cannot be replaced is mixed in but not credited.
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.MkdirAll(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(ro, "seed")
	if err := os.WriteFile(seed, first, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(ro, ro, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("bind mount: %v", err)
	}
	defer unix.Unmount(ro, unix.MNT_DETACH)
	if err := unix.Mount("", ro, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("read-only remount: %v", err)
	}
	bits, err = SeedEntropy(seed)
	if err == nil || bits != 0 {
		t.Errorf("read-only seed: %d bits credited, err %v", bits, err)
	}
}

func TestDetectContainer(t *testing.T) {
	noenv := func(string) string { return "" }
	mk := func(files map[string]string) string {
		root := t.TempDir()
		for p, c := range files {
			full := filepath.Join(root, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	host := map[string]string{
		"proc/self/stat":    "1 (tandem) S 0",
		"proc/2/stat":       "2 (kthreadd) S 0",
		"proc/self/cgroup":  "0::/init.scope\n",
		"proc/self/uid_map": "         0          0 4294967295\n",
	}
	if in, why := detectContainer(mk(host), noenv); in {
		t.Errorf("bare metal detected as container: %s", why)
	}
	cases := map[string]func(map[string]string){
		"podman":         func(m map[string]string) { m["run/.containerenv"] = "" },
		"docker":         func(m map[string]string) { m[".dockerenv"] = "" },
		"kubepods":       func(m map[string]string) { m["proc/self/cgroup"] = "3:cpu:/kubepods/besteffort/pod1\n" },
		"user namespace": func(m map[string]string) { m["proc/self/uid_map"] = "0 100000 65536\n" },
		"PID namespace":  func(m map[string]string) { delete(m, "proc/2/stat") },
		"nspawn":         func(m map[string]string) { m["run/systemd/container"] = "systemd-nspawn\n" },
	}
	for want, edit := range cases {
		files := map[string]string{}
		for k, v := range host {
			files[k] = v
		}
		edit(files)
		in, why := detectContainer(mk(files), noenv)
		if sub := map[string]string{"nspawn": "systemd-nspawn"}[want]; sub != "" {
			want = sub
		}
		if !in || !strings.Contains(why, want) {
			t.Errorf("%s: got %v %q", want, in, why)
		}
	}
	if in, why := detectContainer(mk(host), func(k string) string { return map[string]string{"container": "lxc"}[k] }); !in || !strings.Contains(why, "lxc") {
		t.Errorf("container=lxc: %v %q", in, why)
	}
}

func TestGoRecovers(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	log := func(s string) { mu.Lock(); logs = append(logs, s); mu.Unlock() }
	done := make(chan struct{})
	Go("boom", log, func() { defer close(done); panic("kaboom") })
	<-done
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	if len(logs) != 1 || !strings.Contains(logs[0], "boom: panic: kaboom") || !strings.Contains(logs[0], "goroutine") {
		t.Errorf("log = %q", logs)
	}
	mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runs := make(chan int, 10)
	n := 0
	GoRestart(ctx, "loop", log, time.Millisecond, func(context.Context) {
		n++
		runs <- n
		if n < 3 {
			panic("again")
		}
	})
	for want := 1; want <= 3; want++ {
		select {
		case got := <-runs:
			if got != want {
				t.Fatalf("run %d, want %d", got, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("run %d never happened", want)
		}
	}
	select {
	case <-runs:
		t.Error("restarted after a normal return")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWatchdogAbsent(t *testing.T) {
	_, err := OpenWatchdog(filepath.Join(t.TempDir(), "watchdog"), 30*time.Second)
	if !errors.Is(err, ErrNoWatchdog) {
		t.Errorf("missing device: %v", err)
	}
	// A file that is not a watchdog is refused (and not left open).
	f := filepath.Join(t.TempDir(), "notwd")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWatchdog(f, 30*time.Second); err == nil || errors.Is(err, ErrNoWatchdog) {
		t.Errorf("regular file: %v", err)
	}
	if fileExists("/dev/watchdog") {
		t.Log("a real /dev/watchdog exists; not opening it from a test (it would arm)")
	}
}

func TestActionFor(t *testing.T) {
	for sig, want := range map[syscall.Signal]Action{
		unix.SIGTERM: ActionReboot, unix.SIGINT: ActionReboot, unix.SIGUSR1: ActionHalt,
		unix.SIGUSR2: ActionPowerOff, unix.SIGPWR: ActionPowerOff, unix.SIGHUP: ActionNone,
	} {
		if got := ActionFor(sig); got != want {
			t.Errorf("%v → %v, want %v", sig, got, want)
		}
	}
	if ActionPowerOff.RebootCmd() != unix.LINUX_REBOOT_CMD_POWER_OFF || ActionNone.RebootCmd() != unix.LINUX_REBOOT_CMD_POWER_OFF ||
		ActionReboot.RebootCmd() != unix.LINUX_REBOOT_CMD_RESTART || ActionHalt.RebootCmd() != unix.LINUX_REBOOT_CMD_HALT {
		t.Error("RebootCmd mapping")
	}
}

// Signals delivered to this (non-PID 1) test process become requests.
func TestWatchSignals(t *testing.T) {
	s := WatchSignals(context.Background(), func(m string) { t.Log(m) }, time.Hour)
	defer s.Stop()
	for sig, want := range map[syscall.Signal]Action{unix.SIGUSR1: ActionHalt, unix.SIGUSR2: ActionPowerOff} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-s.Requests():
			if r.Action != want || r.Signal != sig {
				t.Errorf("%v → %+v", sig, r)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%v: no request", sig)
		}
	}
}

func TestShutdownOrderAndDeadlines(t *testing.T) {
	var order []string
	var mu sync.Mutex
	rec := func(name string) func(context.Context) error {
		return func(context.Context) error { mu.Lock(); order = append(order, name); mu.Unlock(); return nil }
	}
	var logs []string
	sd := Shutdown{Log: func(s string) { logs = append(logs, s) }, Steps: []Step{
		{Name: "a", Run: rec("a")},
		{Name: "hang", Timeout: 50 * time.Millisecond, Run: func(context.Context) error { select {} }},
		{Name: "ctx", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{Name: "fail", Run: func(context.Context) error { return errors.New("nope") }},
		{Name: "panic", Run: func(context.Context) error { panic("in step") }},
		{Name: "z", Run: rec("z")},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a cancelled caller context must not skip steps
	start := time.Now()
	res := sd.Run(ctx)
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v", took)
	}
	if strings.Join(order, ",") != "a,z" || len(res) != 6 {
		t.Errorf("order %v, %d results", order, len(res))
	}
	if !res[1].TimedOut || !res[2].TimedOut || res[3].Err == nil || res[4].Err == nil || !strings.Contains(res[4].Err.Error(), "in step") || res[5].Err != nil {
		t.Errorf("results %+v", res)
	}
	if len(logs) != 12 {
		t.Errorf("want a start and an end line per step, got %q", logs)
	}
}

// The final steps run in order with the reboot injected; KillAll refuses
// outside PID 1, which is exactly what keeps this test from killing the host.
func TestFinalStepsNotPID1(t *testing.T) {
	cmd := -1
	steps := FinalSteps(Final{Action: ActionHalt, Root: t.TempDir(), Mounts: DefaultMounts, Reboot: func(c int) error { cmd = c; return nil }})
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "kill processes,sync,unmount,halt" {
		t.Errorf("steps %v", names)
	}
	res := (&Shutdown{Steps: steps}).Run(context.Background())
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "not PID 1") {
		t.Errorf("KillAll outside PID 1: %v", res[0].Err)
	}
	if res[2].Err != nil || res[3].Err != nil || cmd != unix.LINUX_REBOOT_CMD_HALT {
		t.Errorf("unmount %v, reboot %v, cmd %#x", res[2].Err, res[3].Err, cmd)
	}
}
