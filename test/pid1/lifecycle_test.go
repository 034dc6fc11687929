package pid1

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/test/testbed"
)

// TestPID1Lifecycle boots tandem as PID 1 on lb1 with the example seed,
// alone: it must reach HAProxy ready and take the VIP, reap 1,000 orphans,
// and on SIGTERM hand the VIP over, stop HAProxy, then kill, sync and
// unmount, and exit with status 0.
func TestPID1Lifecycle(t *testing.T) {
	needRoot(t)
	bed, err := testbed.New(t, testbed.Options{Prefix: "tp"})
	if err != nil {
		t.Fatal(err)
	}
	dir := workDir(t)
	seedPath := writeSeed(t, dir, "haproxy1.toml")
	in := startPID1(t, bed.Netns(testbed.LB1), dir, bed.Bin("tandem"), "console=ttyS0 tandem.seed="+seedPath)
	pid := in.waitTandem(5 * time.Second)

	// 1. HAProxy ready, and the VIP taken (alone, after two dead times).
	m := in.waitLog(regexp.MustCompile(`HAProxy ready (\S+) after PID 1 start`), 30*time.Second)
	wall := time.Since(in.started)
	readyIn, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatalf("ready line %q: %v", m[0], err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		if time.Now().After(deadline) {
			t.Fatalf("lb1 does not hold the VIP %v 5 s after HAProxy ready", testbed.VIP.Addr())
		}
		time.Sleep(10 * time.Millisecond)
	}
	vipIn := time.Since(in.started)
	if !strings.Contains(in.log(), "seed: from kernel command line") {
		t.Errorf("the console does not report the seed's source")
	}
	// The control socket is in PID 1's mount namespace (its own /run).
	out, err := exec.Command("nsenter", "--target", fmt.Sprint(pid), "--mount", "--", "/proc/1/exe", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Role: ACTIVE") {
		t.Errorf("tandem status through PID 1's control socket: %v\n%s", err, out)
	}
	rss, err := vmRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PID 1 start to HAProxy ready: %v (tandem's clock), %v (from the test's start of unshare); VIP held after %v; VmRSS %d kB",
		readyIn, wall.Round(time.Millisecond), vipIn.Round(time.Millisecond), rss)

	// 2. Orphans: 1,000 double-forked sleeps reparent to PID 1.
	const orphans = 1000
	script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do (sleep 1 </dev/null >/dev/null 2>&1 &); i=$((i+1)); done`, orphans)
	spawnStart := time.Now()
	if out, err := exec.Command("nsenter", "--target", fmt.Sprint(pid), "--pid", "--mount", "--", "sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("spawn orphans: %v: %s", err, out)
	}
	spawnTook := time.Since(spawnStart)
	adopted := 0
	for _, child := range children(pid) {
		if child.Comm == "sleep" {
			adopted++
		}
	}
	var zombies, sleeps int
	deadline = time.Now().Add(10 * time.Second)
	for {
		zombies, sleeps = 0, 0
		for _, child := range children(pid) {
			if child.State == 'Z' {
				zombies++
			} else if child.Comm == "sleep" {
				sleeps++
			}
		}
		if (zombies == 0 && sleeps == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d orphans spawned in %v; %d of them were PID 1's sleeping children right after; zombies left: %d", orphans, spawnTook.Round(time.Millisecond), adopted, zombies)
	if adopted < 10 {
		t.Errorf("only %d children of PID 1 right after spawning %d orphans: they were not reparented to it", adopted, orphans)
	}
	if zombies != 0 || sleeps != 0 {
		t.Errorf("%d zombie and %d sleeping children of PID 1 remain", zombies, sleeps)
	}
	if in.exited() {
		t.Fatalf("PID 1 exited during the orphan storm: %v", in.err)
	}

	// 3. SIGTERM: ordered shutdown, exit status 0.
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := in.exitStatus(60 * time.Second); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	log := in.log()
	order := []string{
		"shutdown: reboot requested by signal terminated",
		"shutdown: handing over the VIPs",
		"vip: released",
		"msg=\"shutdown: done\"", // the runtime, after HAProxy stopped
		"haproxy processes left: 0",
		"shutdown: kill processes",
		"shutdown: sync",
		"shutdown: unmount",
		"exiting with status 0",
	}
	last := -1
	for _, s := range order {
		i := strings.Index(log, s)
		if i < 0 {
			t.Errorf("shutdown line %q missing", s)
			continue
		}
		if i < last {
			t.Errorf("shutdown line %q out of order", s)
		}
		last = i
	}
	if bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		t.Errorf("lb1 still holds the VIP after PID 1 exited")
	}
}
