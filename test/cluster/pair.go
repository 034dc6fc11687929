// Package cluster runs two tandem nodes (`tandem run`) on the namespace
// testbed with seeds derived from configs/, for the failover scenario tests
// and the benchmark against keepalived.
package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tandem/init/control"
	"tandem/test/testbed"
)

// Nodes are the two load balancers, and the seed each one runs.
var Nodes = map[string]string{testbed.LB1: "haproxy1.toml", testbed.LB2: "haproxy2.toml"}

// Options tune the pair.
type Options struct {
	// Profile is the seed's failover.profile; empty keeps the example's.
	Profile string
	// Preferred, when set, turns failback on with this preferred node.
	Preferred string
}

// Pair is tandem running on lb1 and lb2.
type Pair struct {
	Bed   *testbed.Bed
	Procs map[string]*testbed.Proc
	opts  Options
}

// Start writes the seeds and starts `tandem run` on both nodes at once.
func Start(bed *testbed.Bed, opts Options) (*Pair, error) {
	p := &Pair{Bed: bed, Procs: map[string]*testbed.Proc{}, opts: opts}
	root, err := testbed.ModuleRoot()
	if err != nil {
		return nil, err
	}
	for node, name := range Nodes {
		dir := filepath.Join(bed.Dir(), node)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := copySeed(filepath.Join(root, "configs"), dir, name, opts); err != nil {
			return nil, err
		}
	}
	for node := range Nodes {
		if err := p.StartNode(node); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func copySeed(from, to, name string, opts Options) error {
	b, err := os.ReadFile(filepath.Join(from, name))
	if err != nil {
		return err
	}
	s := string(b)
	if opts.Profile != "" {
		s = strings.Replace(s, `profile = "default"`, fmt.Sprintf("profile = %q", opts.Profile), 1)
	}
	if opts.Preferred != "" {
		s = strings.Replace(s, "failback = false", fmt.Sprintf("failback = true\npreferred = %q", opts.Preferred), 1)
	}
	if err := os.WriteFile(filepath.Join(to, "seed.toml"), []byte(s), 0o644); err != nil {
		return err
	}
	cfg, err := os.ReadFile(filepath.Join(from, "haproxy.cfg"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(to, "haproxy.cfg"), cfg, 0o644)
}

// Socket is node's control socket.
func (p *Pair) Socket(node string) string { return filepath.Join(p.Bed.Dir(), node, "control.sock") }

// StartNode starts (or restarts) tandem on node.
func (p *Pair) StartNode(node string) error {
	dir := filepath.Join(p.Bed.Dir(), node)
	proc, err := p.Bed.Start(node, p.Bed.Bin("tandem"), "run",
		"--seed", filepath.Join(dir, "seed.toml"),
		"--state", filepath.Join(dir, "state"),
		"--control", p.Socket(node))
	if err != nil {
		return fmt.Errorf("start tandem on %s: %w", node, err)
	}
	p.Procs[node] = proc
	return nil
}

// Holder says which node has the VIP on its data NIC: "lb1", "lb2", ""
// for neither, or "lb1+lb2" for both. A NIC that is down holds nothing on
// the LAN: a node killed hard (links down, then SIGKILL) may keep the
// address on its dead link when the kill beats its own reaction.
func (p *Pair) Holder() string {
	var h []string
	for _, n := range []string{testbed.LB1, testbed.LB2} {
		if p.Bed.HasAddr(n, "eth0", testbed.VIP.Addr()) && p.linkUp(n, "eth0") {
			h = append(h, n)
		}
	}
	return strings.Join(h, "+")
}

// linkUp reports whether node's dev is administratively up.
func (p *Pair) linkUp(node, dev string) bool {
	out, err := p.Bed.Exec(node, "ip", "-o", "link", "show", "dev", dev)
	if err != nil {
		return false
	}
	i, j := strings.IndexByte(out, '<'), strings.IndexByte(out, '>')
	if i < 0 || j < i {
		return false
	}
	for _, f := range strings.Split(out[i+1:j], ",") {
		if f == "UP" {
			return true
		}
	}
	return false
}

// WaitHolder waits until exactly one node holds the VIP and returns it.
// With want set, it waits for that node.
func (p *Pair) WaitHolder(want string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		h := p.Holder()
		if (want == "" && (h == testbed.LB1 || h == testbed.LB2)) || (want != "" && h == want) {
			return h, nil
		}
		if time.Now().After(deadline) {
			return h, fmt.Errorf("after %s the VIP is held by %q, want %q", timeout, h, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Status asks node's tandem for its status.
func (p *Pair) Status(node string) (control.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return control.NewClient(p.Socket(node)).Status(ctx)
}

// WaitStatus polls node's status until ok accepts it.
func (p *Pair) WaitStatus(node string, timeout time.Duration, ok func(control.Status) bool) (control.Status, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := p.Status(node)
		if err == nil && ok(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("status of %s not as wanted after %s (err %v)", node, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Other is the other load balancer.
func Other(node string) string {
	if node == testbed.LB1 {
		return testbed.LB2
	}
	return testbed.LB1
}

// Run runs `tandem ARGS` against node's control socket.
func (p *Pair) Run(node string, args ...string) (string, error) {
	args = append(args, "--control", p.Socket(node))
	out, err := exec.Command(p.Bed.Bin("tandem"), args...).CombinedOutput()
	return string(out), err
}

// HAProxyPIDs are the PIDs of node's HAProxy processes (master first).
func (p *Pair) HAProxyPIDs(node string) ([]int, error) {
	s, err := p.Status(node)
	if err != nil {
		return nil, err
	}
	if s.HAProxy.PID == 0 {
		return nil, fmt.Errorf("%s: HAProxy has no PID (state %s)", node, s.HAProxy.State)
	}
	return append([]int{s.HAProxy.PID}, s.HAProxy.WorkerPIDs...), nil
}

// SignalHAProxy sends sig to node's HAProxy processes: the workers when
// workersOnly, else master and workers.
func (p *Pair) SignalHAProxy(node string, sig syscall.Signal, workersOnly bool) error {
	pids, err := p.HAProxyPIDs(node)
	if err != nil {
		return err
	}
	if workersOnly {
		pids = pids[1:]
	}
	if len(pids) == 0 {
		return fmt.Errorf("%s: no HAProxy process to signal", node)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			return fmt.Errorf("signal %d: %w", pid, err)
		}
	}
	return nil
}

// Logs is both nodes' tandem output, for failure messages.
func (p *Pair) Logs() string {
	var b strings.Builder
	for _, n := range []string{testbed.LB1, testbed.LB2} {
		if proc := p.Procs[n]; proc != nil {
			log := proc.Log()
			if len(log) > 6000 {
				log = "...\n" + log[len(log)-6000:]
			}
			fmt.Fprintf(&b, "=== %s tandem log\n%s\n", n, log)
		}
	}
	return b.String()
}
