package pid1

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/init/reap"
)

// instance is one tandem running as PID 1 of its own PID, mount and UTS
// namespaces, inside a network namespace.
type instance struct {
	t       *testing.T
	cmd     *exec.Cmd
	logPath string
	stdin   io.WriteCloser
	started time.Time
	done    chan struct{}
	err     error
}

// wrapper protects the host from what PID 1 writes outside its own mounts:
// /etc is bind-mounted from a copy (hosts, resolv.conf). /run and /tmp
// get fresh tmpfs from tandem itself in the private mount namespace, and
// --uts keeps its hostname there.
const wrapper = `mount --bind "$1/etc" /etc && exec env TANDEM_CMDLINE="$2" "$3"`

// startPID1 runs bin as PID 1 in netns with the given kernel command line.
// dir must not be under /tmp: PID 1 mounts a tmpfs there.
func startPID1(t *testing.T, netns, dir, bin, cmdline string) *instance {
	t.Helper()
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", "/etc/.", etc+"/").CombinedOutput(); err != nil {
		t.Fatalf("copy /etc: %v: %s", err, out)
	}
	logPath := filepath.Join(dir, "console.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", netns,
		"unshare", "--pid", "--fork", "--mount-proc", "--mount", "--uts",
		"sh", "-c", wrapper, "sh", dir, cmdline, bin)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, cmd: cmd, logPath: logPath, stdin: stdin, done: make(chan struct{})}
	in.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	go func() {
		in.err = cmd.Wait()
		close(in.done)
	}()
	t.Cleanup(func() {
		if !in.exited() {
			if pid := in.tandemPID(); pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL) // PID 1 dies: the kernel kills the namespace
			}
			_ = cmd.Process.Kill()
			<-in.done
		}
		if t.Failed() {
			t.Logf("console of PID 1:\n%s", tail(in.log(), 8000))
		}
	})
	return in
}

func (in *instance) exited() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

func (in *instance) log() string {
	b, _ := os.ReadFile(in.logPath)
	return string(b)
}

// unsharePID is the host PID of unshare (ip netns exec execs it).
func (in *instance) unsharePID() int { return in.cmd.Process.Pid }

// tandemPID is the host PID of tandem, unshare's child, or 0 while it
// has not exec'd yet.
func (in *instance) tandemPID() int {
	pid := in.unsharePID()
	for _, c := range children(pid) {
		if c.Comm == "tandem" {
			return c.PID
		}
	}
	return 0
}

// waitTandem waits for unshare's child to be tandem.
func (in *instance) waitTandem(timeout time.Duration) int {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if pid := in.tandemPID(); pid > 0 {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	in.t.Fatalf("tandem did not start within %v", timeout)
	return 0
}

// waitLog waits until the console shows a line matching re and returns
// its submatches.
func (in *instance) waitLog(re *regexp.Regexp, timeout time.Duration) []string {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(in.log()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("no console line matching %q within %v", re, timeout)
		}
		if in.exited() {
			in.t.Fatalf("PID 1 exited (%v) before a console line matched %q", in.err, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exitStatus waits for the namespace to end and returns unshare's status.
func (in *instance) exitStatus(timeout time.Duration) int {
	in.t.Helper()
	select {
	case <-in.done:
	case <-time.After(timeout):
		in.t.Fatalf("PID 1 still running %v after the shutdown request", timeout)
	}
	if in.err == nil {
		return 0
	}
	if ee, ok := in.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	in.t.Fatalf("wait: %v", in.err)
	return -1
}

// children lists the processes whose parent is pid, zombies included.
func children(pid int) []reap.Proc {
	procs, _ := reap.Procs()
	var out []reap.Proc
	for _, p := range procs {
		if p.PPID == pid {
			out = append(out, p)
		}
	}
	return out
}

// vmRSS is VmRSS of pid in kB.
func vmRSS(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// workDir is a test folder outside /tmp (PID 1 mounts a tmpfs there).
func workDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "tp-pid1-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// repoRoot is the repository's folder, found from this file's.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

// repoFile is a file of the repository.
func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeSeed writes configs/<name> and configs/haproxy.cfg into dir.
func writeSeed(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, "seed.toml")
	if err := os.WriteFile(path, repoFile(t, "configs/"+name), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), repoFile(t, "configs/haproxy.cfg"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (namespaces)")
	}
	for _, tool := range []string{"ip", "unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}
