package vmbed

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"tandem/test/testbed"
)

// Boot says how a node boots.
type Boot int

// The two ways an operator boots the appliance.
const (
	// BootUEFI boots out/tandem.img through OVMF and systemd-boot, with the
	// seed written into its partition (tandem-image seed).
	BootUEFI Boot = iota
	// BootKernel boots out/vmlinuz and out/initrd.img directly (network
	// boot), with the seed on a separate seed disk.
	BootKernel
)

func (b Boot) String() string {
	if b == BootKernel {
		return "kernel+initramfs with a seed disk"
	}
	return "UEFI disk image"
}

// Append is the kernel command line of a direct boot.
const Append = "console=ttyS0,115200 panic=-1"

// Node is one appliance VM of the pair: lb1 runs configs/haproxy1.toml,
// lb2 configs/haproxy2.toml.
type Node struct {
	Name  string // testbed.LB1 or testbed.LB2
	Host  string // the seed's node name: haproxy1, haproxy2
	Boot  Boot
	Disk  string // its disk (UEFI) or seed disk (kernel)
	VM    *VM    // the running VM; nil while stopped
	Boots int
}

// Pair is the two-VM topology: the testbed's client, web1 and web2 in
// namespaces, the LAN and interlink bridges, and two appliance VMs.
type Pair struct {
	Bed   *testbed.Bed
	App   *Appliance
	Nodes [2]*Node
	dir   string
}

// NewPair prepares the nodes' disks from the example seeds; Boot starts
// them. boots gives each node's way of booting.
func NewPair(bed *testbed.Bed, app *Appliance, dir string, boots [2]Boot) (*Pair, error) {
	root, err := testbed.ModuleRoot()
	if err != nil {
		return nil, err
	}
	p := &Pair{Bed: bed, App: app, dir: dir}
	for i, name := range []string{testbed.LB1, testbed.LB2} {
		n := &Node{Name: name, Host: fmt.Sprintf("haproxy%d", i+1), Boot: boots[i]}
		n.Disk = filepath.Join(dir, name+"-disk.img")
		if err := app.NodeDisk(n.Boot, filepath.Join(root, "configs", n.Host+".toml"), n.Disk); err != nil {
			return nil, fmt.Errorf("vmbed: %s disk: %w", name, err)
		}
		p.Nodes[i] = n
	}
	return p, nil
}

// PairFromDisks is a pair that boots the given seeded disk images (made
// with tandem-image seed) through UEFI.
func PairFromDisks(bed *testbed.Bed, app *Appliance, dir string, disks [2]string) *Pair {
	p := &Pair{Bed: bed, App: app, dir: dir}
	for i, name := range []string{testbed.LB1, testbed.LB2} {
		p.Nodes[i] = &Node{Name: name, Host: fmt.Sprintf("haproxy%d", i+1), Boot: BootUEFI, Disk: disks[i]}
	}
	return p
}

// NICs are node i's (0: lb1, 1: lb2) network cards: eth0 on the data LAN
// tap, eth1 on the interlink tap, with stable MACs 52:54:00:00:<i+1>:<nic>.
func NICs(i int) []NIC {
	name := []string{testbed.LB1, testbed.LB2}[i]
	return []NIC{{Tap: testbed.DataTap(name), MAC: fmt.Sprintf("52:54:00:00:%02x:00", i+1)},
		{Tap: testbed.LinkTap(name), MAC: fmt.Sprintf("52:54:00:00:%02x:01", i+1)}}
}

// Boot starts node i's VM.
func (p *Pair) Boot(i int) (*VM, error) {
	n := p.Nodes[i]
	spec := p.App.BootSpec(Spec{Name: fmt.Sprintf("%s-boot%d", n.Name, n.Boots+1), Netns: p.Bed.Netns(testbed.LAN),
		Dir: p.dir, NICs: NICs(i)}, n.Boot, n.Disk)
	vm, err := Start(spec)
	if err != nil {
		return nil, err
	}
	n.VM, n.Boots = vm, n.Boots+1
	return vm, nil
}

// Close kills any VM still running.
func (p *Pair) Close() {
	for _, n := range p.Nodes {
		if n != nil && n.VM != nil {
			n.VM.Kill()
		}
	}
}

// The console lines the tests and the demo wait for.
var (
	LineSeed   = `tandem: seed: from `
	LineReady  = `tandem: HAProxy ready `
	LineActive = `msg="vip: acquired and announced"`
)

// WaitRole waits until node i's console shows a transition to role
// (active, standby) after mark, and returns that line.
func (p *Pair) WaitRole(i, mark int, role string, timeout time.Duration) (string, error) {
	vm := p.Nodes[i].VM
	m, _, err := vm.WaitFrom(mark, regexp.MustCompile(`[^\n]*msg="role [a-z]+ -> `+role+`"[^\n]*\n`), timeout)
	return strings.TrimSpace(m), err
}

// Status runs `status` at node i's console prompt.
func (p *Pair) Status(i int) (string, error) {
	return p.Nodes[i].VM.Prompt("status", 20*time.Second)
}

// WaitStatus runs `status` on node i every 2 s until its output matches
// every want (regular expressions), and returns that output.
func (p *Pair) WaitStatus(i int, timeout time.Duration, want ...string) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		out, err := p.Status(i)
		missing := ""
		for _, w := range want {
			if !regexp.MustCompile(w).MatchString(out) {
				missing = w
				break
			}
		}
		if err == nil && missing == "" {
			return out, nil
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("%s: status never showed %q (%v):\n%s", p.Nodes[i].Host, missing, err, out)
		}
		time.Sleep(2 * time.Second)
	}
}
