package keepalived

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"tandem/test/testbed"
)

// Cluster is keepalived plus HAProxy running on lb1 and lb2 of a bed.
type Cluster struct {
	Bed     *testbed.Bed
	Variant Variant
	HAProxy map[string]*testbed.Proc
	Keep    map[string]*testbed.Proc
}

// Usable reports why the baseline cannot run here, or nil.
func Usable() error {
	if err := testbed.Usable(); err != nil {
		return err
	}
	for _, bin := range []string{"/usr/sbin/keepalived", "/usr/sbin/haproxy", "pidof"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("needs %s: %w", bin, err)
		}
	}
	return nil
}

// Run starts HAProxy and keepalived on both load balancers of bed (built
// with ConfigureLBAddrs) and waits until lb1 holds the VIP and the client is
// served through it. The bed's Close stops everything.
func Run(bed *testbed.Bed, v Variant) (*Cluster, error) {
	c := &Cluster{Bed: bed, Variant: v, HAProxy: map[string]*testbed.Proc{}, Keep: map[string]*testbed.Proc{}}
	for _, lb := range []string{testbed.LB1, testbed.LB2} {
		if err := c.startNode(lb); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.Active() != testbed.LB1 {
		for lb, p := range c.Keep {
			if p.Exited() {
				return nil, fmt.Errorf("keepalived: exited on %s: %v; log:\n%s", lb, p.Wait(), p.Log())
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("keepalived: lb1 did not take the VIP (active %q); lb1 log:\n%s", c.Active(), c.Keep[testbed.LB1].Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 10*time.Second); err != nil {
		return nil, fmt.Errorf("keepalived: VIP not serving: %w", err)
	}
	return c, nil
}

func (c *Cluster) startNode(lb string) error {
	dir := filepath.Join(c.Bed.Dir(), "keepalived-"+lb)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keepalived: %w", err)
	}
	script := filepath.Join(dir, "chk_haproxy.sh")
	files := map[string]string{
		"haproxy.cfg":     haproxyConf(),
		"keepalived.conf": keepalivedConf(lb, c.Variant, script),
		"chk_haproxy.sh":  checkScript,
	}
	for name, body := range files {
		// keepalived refuses an executable config file.
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".sh" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), mode); err != nil {
			return fmt.Errorf("keepalived: write %s: %w", name, err)
		}
	}
	if _, err := c.Bed.Exec(lb, "sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=1"); err != nil {
		return err
	}
	hp, err := c.Bed.Start(lb, "/usr/sbin/haproxy", "-W", "-db", "-f", filepath.Join(dir, "haproxy.cfg"),
		"-p", filepath.Join(dir, "haproxy.pid"))
	if err != nil {
		return err
	}
	c.HAProxy[lb] = hp
	// Several keepalived run on one host: each needs its own pid files
	// (the defaults under /run would collide) and its own config (not the
	// shared /etc/keepalived). -P: VRRP only, no checker process.
	kp, err := c.Bed.Start(lb, "/usr/sbin/keepalived", "-n", "-l", "-D", "-G", "-P",
		"-f", filepath.Join(dir, "keepalived.conf"),
		"-p", filepath.Join(dir, "keepalived.pid"),
		"-r", filepath.Join(dir, "vrrp.pid"),
		"-c", filepath.Join(dir, "checkers.pid"),
		"-b", filepath.Join(dir, "bfd.pid"))
	if err != nil {
		return err
	}
	c.Keep[lb] = kp
	return nil
}

// Active returns which load balancer holds the VIP: "lb1", "lb2", "" for
// none, or "lb1+lb2" when both do (split brain).
func (c *Cluster) Active() string {
	var on []string
	for _, lb := range []string{testbed.LB1, testbed.LB2} {
		if c.Bed.HasAddr(lb, "eth0", testbed.VIP.Addr()) {
			on = append(on, lb)
		}
	}
	switch len(on) {
	case 0:
		return ""
	case 1:
		return on[0]
	}
	return on[0] + "+" + on[1]
}

// WaitActive waits until node holds the VIP alone.
func (c *Cluster) WaitActive(node string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.Active() == node {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("keepalived: " + node + " did not take the VIP; active: " + c.Active())
}
