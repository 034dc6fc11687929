package boot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"tandem/init/reap"
)

// TestMain doubles as the PID 1 test program: with TANDEM_BOOT_PID1 set, the
// test binary runs pid1Main instead of the tests (started by TestPID1 under
// unshare as PID 1 of a fresh PID, mount, UTS and network namespace).
func TestMain(m *testing.M) {
	if os.Getenv("TANDEM_BOOT_PID1") != "" {
		os.Exit(pid1Main())
	}
	os.Exit(m.Run())
}

// pid1Main reports "key value" lines on stdout for the parent to check.
func pid1Main() int {
	out := func(k string, v any) { fmt.Printf("%s %v\n", k, v) }
	logf := func(s string) { fmt.Fprintln(os.Stderr, "pid1:", s) }
	if os.Getpid() != 1 {
		out("fatal", "not PID 1")
		return 2
	}
	root := os.Getenv("TANDEM_BOOT_ROOT")

	// Boot: the mount table, then coldplug of this machine's real devices
	// against the Debian cloud kernel index (finit_module recorded, since
	// this kernel cannot take Debian's modules).
	start := time.Now()
	mountErrs := 0
	for _, r := range Mount(DefaultMounts, root) {
		logf("mount " + r.String())
		if r.Err != nil || r.Already {
			mountErrs++
		}
	}
	mountTook := time.Since(start)
	var rep ColdplugReport
	if dir := os.Getenv("TANDEM_BOOT_KMOD"); dir != "" {
		db, err := OpenModules(dir)
		if err != nil {
			out("fatal", err)
			return 2
		}
		inserted := 0
		db.Insert = func(string) error { inserted++; return nil }
		rep = db.Coldplug(filepath.Join(root, "sys"))
		out("coldplug-inserted", inserted)
	}
	out("mount-bad", mountErrs)
	out("mount-ms", float64(mountTook.Microseconds())/1000)
	out("coldplug-ms", float64(rep.Took.Microseconds())/1000)
	out("coldplug-modaliases", rep.Modaliases)
	out("coldplug-modules", strings.Join(rep.Modules, ","))
	already := 0
	for _, r := range Mount(DefaultMounts, root) {
		if r.Already && r.Err == nil {
			already++
		}
	}
	out("remount-already", already)
	in, why := InContainer()
	out("container", fmt.Sprintf("%v:%s", in, strings.ReplaceAll(why, " ", "_")))
	out("cad-einval", errors.Is(DisableCAD(), unix.EINVAL))

	// Sysctl, hostname and loopback in our own namespaces.
	procSys := filepath.Join(root, "proc", "sys")
	err := SetSysctls(procSys, []Sysctl{{"net.ipv4.ip_forward", "1"}, {"net/ipv4/conf/lo/arp_ignore", "1"}})
	fwd, _ := GetSysctl(procSys, "net.ipv4.ip_forward")
	out("sysctl", fmt.Sprintf("%v:%s", err == nil, fwd))
	err = SetHostname("tk-node1")
	host, _ := os.Hostname()
	out("hostname", fmt.Sprintf("%v:%s", err == nil, host))
	err = LoopbackUp()
	lo, lerr := netlink.LinkByName("lo")
	out("loopback", err == nil && lerr == nil && lo.Attrs().Flags&unix.IFF_UP != 0)

	ctx := context.Background()
	sig := WatchSignals(ctx, logf, time.Second)

	// A panicking goroutine is logged and does not end PID 1; GoRestart
	// runs the loop again after a panic.
	var runs atomic.Int32
	Go("boom", logf, func() { panic("test panic") })
	restarted := make(chan struct{})
	GoRestart(ctx, "flaky", logf, 10*time.Millisecond, func(context.Context) {
		if runs.Add(1) < 3 {
			panic("flaky panic")
		}
		close(restarted)
	})
	select {
	case <-restarted:
	case <-time.After(5 * time.Second):
	}
	out("panic-runs", runs.Load())

	// Children started through reap keep their exit status while 1,000
	// orphans are reaped around them.
	var statusWG sync.WaitGroup
	var statusOK atomic.Int32
	for i := range 20 {
		cmd := exec.Command("sh", "-c", fmt.Sprintf("sleep 0.%d; exit %d", 1+i%5, 10+i))
		if err := reap.Start(cmd); err != nil {
			out("fatal", err)
			return 2
		}
		statusWG.Add(1)
		go func() {
			defer statusWG.Done()
			err := reap.Wait(cmd)
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 10+i {
				statusOK.Add(1)
			} else {
				logf(fmt.Sprintf("child %d: %v", i, err))
			}
		}()
	}
	orphanStart := time.Now()
	var spawnWG sync.WaitGroup
	var spawnErr atomic.Int32
	jobs := make(chan int)
	for range 8 {
		spawnWG.Add(1)
		go func() {
			defer spawnWG.Done()
			for range jobs {
				if err := reap.Run(exec.Command("sh", "-c", "sleep 0.01 &")); err != nil {
					spawnErr.Add(1)
				}
			}
		}()
	}
	for i := range 1000 {
		jobs <- i
	}
	close(jobs)
	spawnWG.Wait()
	statusWG.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for (Zombies() > 0 || sig.Reaped() < 1000) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out("orphan-spawn-errors", spawnErr.Load())
	out("orphans-reaped", sig.Reaped())
	out("zombies", Zombies())
	out("orphans-ms", time.Since(orphanStart).Milliseconds())
	out("status-ok", statusOK.Load())

	// Processes for the final kill: one ignores SIGTERM.
	for _, script := range []string{"trap '' TERM; while :; do sleep 0.05; done", "exec sleep 1000"} {
		cmd := exec.Command("sh", "-c", script)
		if err := reap.Start(cmd); err != nil {
			out("fatal", err)
			return 2
		}
		go func() { _ = reap.Wait(cmd) }()
	}
	time.Sleep(100 * time.Millisecond) // let the trap be installed
	out("before-kill-remaining", remaining())
	out("ready", "1")

	var req Request
	select {
	case req = <-sig.Requests():
	case <-time.After(30 * time.Second):
		out("fatal", "no shutdown request")
		return 3
	}
	out("request", fmt.Sprintf("%v:%v", req.Signal, req.Action))
	var mu sync.Mutex // steps run on their own goroutines
	var order []string
	record := func(name string) { mu.Lock(); order = append(order, name); mu.Unlock() }
	rebootCmd := -1
	sd := Shutdown{Log: logf, Steps: append([]Step{
		{Name: "leave cluster", Run: func(context.Context) error { record("leave cluster"); return nil }},
		{Name: "stop haproxy", Timeout: 200 * time.Millisecond, Run: func(context.Context) error {
			record("stop haproxy")
			select {} // hangs and ignores ctx: the sequencer must go on
		}},
	}, FinalSteps(Final{
		Action: req.Action, Mounts: DefaultMounts, Root: root, Grace: 300 * time.Millisecond, Log: logf,
		Reboot: func(cmd int) error { mu.Lock(); rebootCmd = cmd; mu.Unlock(); return nil },
	})...)}
	sdStart := time.Now()
	for _, r := range sd.Run(ctx) {
		out("step", fmt.Sprintf("%s|%v|%v", strings.ReplaceAll(r.Name, " ", "_"), r.TimedOut, r.Err))
	}
	out("shutdown-ms", time.Since(sdStart).Milliseconds())
	mu.Lock()
	out("order", strings.ReplaceAll(strings.Join(order, ","), " ", "_"))
	out("reboot-cmd", rebootCmd)
	mu.Unlock()
	out("after-kill-remaining", remaining())
	mp, _ := mountPoints()
	still := 0
	for _, m := range DefaultMounts {
		if mp[filepath.Join(root, m.Target)] {
			still++
		}
	}
	out("mounted-after", still)
	sig.Stop()
	return 0
}

func TestPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for namespaces")
	}
	unshare := findTool("unshare")
	if unshare == "" {
		t.Skip("unshare (util-linux) not installed")
	}
	kmod := debianModules(t, "linux-image-cloud-amd64")
	root := t.TempDir()
	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--mount", "--uts", "--net",
		os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TANDEM_BOOT_PID1=1", "TANDEM_BOOT_ROOT="+root, "TANDEM_BOOT_KMOD="+kmod)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(90*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()

	got := map[string][]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		got[k] = append(got[k], v)
		if k == "ready" {
			pid := childOf(cmd.Process.Pid)
			if pid == 0 {
				t.Error("cannot find the namespace's PID 1")
				_ = cmd.Process.Kill()
				continue
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Error(err)
			}
		}
	}
	err = cmd.Wait()
	if t.Failed() || err != nil || len(got["fatal"]) > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("PID 1 exited with %v (want 0)", err)
	}
	one := func(k string) string {
		if len(got[k]) != 1 {
			t.Errorf("%s: got %v", k, got[k])
			return ""
		}
		return got[k][0]
	}
	want := map[string]string{
		"mount-bad": "0", "remount-already": strconv.Itoa(len(DefaultMounts)),
		"cad-einval": "true", "sysctl": "true:1", "hostname": "true:tk-node1", "loopback": "true",
		"panic-runs": "3", "orphan-spawn-errors": "0", "zombies": "0", "status-ok": "20",
		"request": "terminated:reboot", "order": "leave_cluster,stop_haproxy",
		"after-kill-remaining": "0", "mounted-after": "0",
		"reboot-cmd": strconv.Itoa(unix.LINUX_REBOOT_CMD_RESTART),
	}
	for k, w := range want {
		if v := one(k); v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	// The reason depends on the host (this test machine has /.dockerenv);
	// the PID namespace alone must be enough, see TestDetectContainer.
	if v := one("container"); !strings.HasPrefix(v, "true:") {
		t.Errorf("container = %q, want detected", v)
	}
	if n, _ := strconv.Atoi(one("orphans-reaped")); n < 1000 {
		t.Errorf("reaped %d orphans, want ≥ 1000", n)
	}
	if n, _ := strconv.Atoi(one("before-kill-remaining")); n < 2 {
		t.Errorf("%d processes before the final kill, want ≥ 2", n)
	}
	steps := got["step"]
	wantSteps := []string{"leave_cluster|false|<nil>", "stop_haproxy|true|context deadline exceeded",
		"kill_processes|false|<nil>", "sync|false|<nil>", "unmount|false|<nil>", "reboot|false|<nil>"}
	if strings.Join(steps, " ") != strings.Join(wantSteps, " ") {
		t.Errorf("steps:\n got %v\nwant %v", steps, wantSteps)
	}
	t.Logf("mount table %s ms, coldplug %s ms (%s modaliases → modules %s, %s inserts incl. deps)",
		one("mount-ms"), one("coldplug-ms"), one("coldplug-modaliases"), one("coldplug-modules"), one("coldplug-inserted"))
	t.Logf("1000 orphans: %s reaped, %s zombies left, %s ms; shutdown %s ms",
		one("orphans-reaped"), one("zombies"), one("orphans-ms"), one("shutdown-ms"))
}

// childOf finds the child of pid (unshare's forked PID 1).
func childOf(pid int) int {
	procs, _ := reap.Procs()
	for _, p := range procs {
		if p.PPID == pid {
			return p.PID
		}
	}
	return 0
}
