package testbed

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Node names, as the tests address them.
const (
	Client = "client"
	LB1    = "lb1"
	LB2    = "lb2"
	Web1   = "web1"
	Web2   = "web2"
	LAN    = "lan" // holds the bridge; not a host
)

// Hosts are the nodes with an eth0 on the data LAN, in creation order.
var Hosts = []string{Client, LB1, LB2, Web1, Web2}

// The example topology's addresses.
var (
	VIP       = netip.MustParsePrefix("192.168.10.80/24")
	DataAddrs = map[string]netip.Prefix{
		Client: netip.MustParsePrefix("192.168.10.50/24"),
		LB1:    netip.MustParsePrefix("192.168.10.81/24"),
		LB2:    netip.MustParsePrefix("192.168.10.82/24"),
		Web1:   netip.MustParsePrefix("192.168.10.91/24"),
		Web2:   netip.MustParsePrefix("192.168.10.92/24"),
	}
	InterlinkAddrs = map[string]netip.Prefix{
		LB1: netip.MustParsePrefix("10.1.1.1/24"),
		LB2: netip.MustParsePrefix("10.1.1.2/24"),
	}
)

// VIPURL is the URL a client uses to reach the service behind the VIP.
var VIPURL = "http://" + VIP.Addr().String() + "/"

// Options tune what New builds.
type Options struct {
	// ConfigureLBAddrs puts the data and interlink addresses on lb1 and lb2.
	// Leave it false when the appliance applies them itself from its seed
	// (tandem run); the keepalived baseline needs it true.
	ConfigureLBAddrs bool
	// VMs leaves out the lb1 and lb2 namespaces: the load balancers are
	// virtual machines instead, whose NICs are the tap devices in the LAN
	// namespace (DataTap and LinkTap; QEMU must run in that namespace).
	VMs bool
	// Prefix starts every namespace name; default "tb". Namespace names are
	// global on the machine, so parallel users need distinct prefixes.
	Prefix string
}

// Bed is one built testbed. All methods are safe for concurrent use.
type Bed struct {
	opts Options
	id   string // prefix + random suffix, shared by all namespace names
	dir  string // logs and probe results
	bin  string // compiled helper programs

	mu     sync.Mutex
	procs  []*Proc
	nsMade []string

	closeOnce sync.Once
	closeErr  error
	ownDir    bool
}

// New builds the testbed: namespaces, bridge, veths, addresses, and the two
// backends. With a non-nil tb it skips the test when not root or a tool is
// missing, and registers Close as cleanup, so everything is torn down even
// when the test fails or panics. With a nil tb the caller must call Close.
func New(tb testing.TB, opts Options) (*Bed, error) {
	if tb != nil {
		tb.Helper()
		if err := Usable(); err != nil {
			tb.Skipf("testbed: %v", err)
		}
	}
	if opts.Prefix == "" {
		opts.Prefix = "tb"
	}
	bin, err := binaries()
	if err != nil {
		return nil, err
	}
	b := &Bed{opts: opts, id: opts.Prefix + randSuffix(), bin: bin}
	if tb != nil {
		b.dir = tb.TempDir()
		tb.Cleanup(func() {
			if err := b.Close(); err != nil {
				tb.Errorf("testbed: close: %v", err)
			}
		})
	} else {
		if b.dir, err = os.MkdirTemp("", "tandem-testbed-"); err != nil {
			return nil, fmt.Errorf("testbed: temp dir: %w", err)
		}
		b.ownDir = true
	}
	if err := b.build(); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return b, nil
}

// Usable reports why a testbed cannot be built here (not root, tool
// missing), or nil.
func Usable() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root")
	}
	for _, tool := range []string{"ip", "nft", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("needs %s: %w", tool, err)
		}
	}
	return nil
}

// hosts are the nodes that are namespaces with an eth0 on the LAN.
func (b *Bed) hosts() []string {
	if !b.opts.VMs {
		return Hosts
	}
	return []string{Client, Web1, Web2}
}

// DataTap and LinkTap name a VM's tap devices on the data LAN bridge (br0)
// and on the interlink bridge (br1) in the LAN namespace.
func DataTap(node string) string { return node + "-data" }

// LinkTap: see DataTap.
func LinkTap(node string) string { return node + "-link" }

func randSuffix() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var buf [5]byte
	_, _ = rand.Read(buf[:])
	for i := range buf {
		buf[i] = chars[int(buf[i])%len(chars)]
	}
	return string(buf[:])
}

// Netns returns the namespace name of a node ("lb1" -> "tbk3x9lb1").
func (b *Bed) Netns(node string) string { return b.id + node }

// Dir is where logs and probe results are written.
func (b *Bed) Dir() string { return b.dir }

// Bin returns the path of a helper program built for the bed.
func (b *Bed) Bin(name string) string { return b.bin + "/" + name }

// Exec runs a command in a node's namespace and returns its combined output.
func (b *Bed) Exec(node string, args ...string) (string, error) {
	if err := b.checkNode(node); err != nil {
		return "", err
	}
	full := append([]string{"netns", "exec", b.Netns(node)}, args...)
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testbed: %s: %s: %w: %s", node, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// ip runs `ip -n NS args...` for a node.
func (b *Bed) ip(node string, args ...string) (string, error) {
	full := append([]string{"-n", b.Netns(node)}, args...)
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testbed: %s: ip %s: %w: %s", node, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (b *Bed) checkNode(node string) error {
	switch node {
	case Client, LB1, LB2, Web1, Web2, LAN:
		return nil
	}
	return fmt.Errorf("testbed: unknown node %q", node)
}

// Close stops every process the bed started or that lives in its namespaces
// and deletes the namespaces. It is idempotent.
func (b *Bed) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.teardown() })
	return b.closeErr
}

func (b *Bed) teardown() error {
	var errs []error
	b.mu.Lock()
	procs := b.procs
	made := b.nsMade
	b.mu.Unlock()
	for _, p := range procs {
		p.kill9()
	}
	for _, ns := range made {
		killNetnsPids(ns)
	}
	for _, p := range procs {
		p.waitTimeout(5 * time.Second)
	}
	for _, ns := range made {
		// A namespace with a process still inside survives deletion of its
		// name, so kill again right before deleting.
		killNetnsPids(ns)
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s: %w: %s", ns, err, strings.TrimSpace(string(out))))
		}
	}
	if b.ownDir {
		os.RemoveAll(b.dir)
	}
	return errors.Join(errs...)
}
