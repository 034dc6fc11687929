package vm

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tandem/image/pkgroot"
	"tandem/test/testbed"
	"tandem/test/vmbed"
)

var (
	appOnce sync.Once
	app     *vmbed.Appliance
	appErr  error
	appDir  string
)

// appliance builds the image once for the whole test binary.
func appliance(t testing.TB) *vmbed.Appliance {
	t.Helper()
	if err := vmbed.Usable(); err != nil {
		t.Skipf("vm: %v", err)
	}
	appOnce.Do(func() {
		if appDir, appErr = os.MkdirTemp("", "tandem-vm-"); appErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		app, appErr = vmbed.BuildAppliance(ctx, appDir, pkgroot.DefaultKernel, os.Stderr)
	})
	if appErr != nil {
		t.Fatalf("build the appliance: %v", appErr)
	}
	return app
}

func TestMain(m *testing.M) {
	code := m.Run()
	if appDir != "" {
		os.RemoveAll(appDir)
	}
	os.Exit(code)
}

// inOrder checks that the lines appear in the text in this order.
func inOrder(t *testing.T, what, text string, lines ...string) {
	t.Helper()
	last := -1
	for _, l := range lines {
		i := strings.Index(text, l)
		switch {
		case i < 0:
			t.Errorf("%s: %q missing", what, l)
		case i < last:
			t.Errorf("%s: %q out of order", what, l)
		default:
			last = i
		}
	}
}

// bothOnline matches status's online line with both nodes (own first).
const bothOnline = `Online: \[ haproxy[12] haproxy[12] \]`

// waitStatus is Pair.WaitStatus, failing the test when it fails.
func waitStatus(t *testing.T, p *vmbed.Pair, i int, timeout time.Duration, want ...string) string {
	t.Helper()
	out, err := p.WaitStatus(i, timeout, want...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPair boots the seed document's pair as two VMs (lb1 from the UEFI
// disk, lb2 by kernel+initramfs with a seed disk) and runs an operator's
// day: both come up, the client is served through the VIP, the active node
// is shut down from the hypervisor (ACPI) and hands the VIP over first,
// comes back from its persisted seed as standby, and the other one is
// stopped hard; the survivor's console status tells the story.
func TestPair(t *testing.T) {
	a := appliance(t)
	bed, err := testbed.New(t, testbed.Options{VMs: true, Prefix: "vm"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := vmbed.NewPair(bed, a, dir, [2]vmbed.Boot{vmbed.BootUEFI, vmbed.BootKernel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			for _, n := range p.Nodes {
				if n.VM != nil {
					t.Logf("=== %s console ===\n%s", n.VM.Name, n.VM.Console())
				}
			}
		}
	})

	// 1. Both boot at once; each reports its seed, network, HAProxy and role.
	for i := range p.Nodes {
		if _, err := p.Boot(i); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range p.Nodes {
		vm := n.VM
		seedLine, err := vm.WaitLine(vmbed.LineSeed, 90*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(seedLine, "TANDEM volume /dev/vda1 (FAT32)") {
			t.Errorf("%s: seed source: %s", n.Name, seedLine)
		}
		for _, want := range []string{`name=eth0 mac=` + "52:54:00:00:0" + string(rune('1'+i)) + `:00 addresses=\[192.168.10.8`, `name=eth1 .* addresses=\[10.1.1.`} {
			if _, err := vm.WaitLine(`msg="network: interface configured" `+want, 30*time.Second); err != nil {
				t.Error(err)
			}
		}
		ready, err := vm.WaitLine(vmbed.LineReady, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (%s): %s; %s", n.Name, n.Boot, strings.TrimSpace(seedLine), strings.TrimSpace(ready))
	}
	active := -1
	deadline := time.Now().Add(60 * time.Second)
	for active < 0 && time.Now().Before(deadline) {
		for i, n := range p.Nodes {
			if strings.Contains(n.VM.Console(), vmbed.LineActive) {
				active = i
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if active < 0 {
		t.Fatal("no node took the VIP")
	}
	other := 1 - active
	act, oth := p.Nodes[active], p.Nodes[other]
	if strings.Contains(oth.VM.Console(), vmbed.LineActive) {
		t.Fatalf("both nodes took the VIP")
	}
	if _, err := act.VM.WaitLine(`vip: acquired`, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 30*time.Second); err != nil {
		t.Fatalf("client through the VIP: %v", err)
	}
	body, err := bed.Get(testbed.VIPURL, 2*time.Second)
	if err != nil || !strings.Contains(body, "web") {
		t.Fatalf("client GET %s = %q, %v", testbed.VIPURL, body, err)
	}
	st := waitStatus(t, p, other, 60*time.Second, "Role: STANDBY", bothOnline)
	t.Logf("%s is active; status on %s:\n%s", act.Name, oth.Name, st)

	// 2. ACPI power-off of the active node: an orderly shutdown that hands
	// the VIP over first.
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	mark := oth.VM.Mark()
	pressed := time.Now()
	if err := act.VM.PowerDown(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitRole(other, mark, "active", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	took := time.Since(pressed)
	if err := act.VM.Wait(90 * time.Second); err != nil {
		t.Fatalf("after the power button: %v", err)
	}
	time.Sleep(time.Second)
	res, err := probe.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ACPI power-off of %s: %s active %v after the button; client: %s", act.Name, oth.Name, took.Round(time.Millisecond), res)
	if res.Failed > 0 {
		t.Errorf("planned shutdown: %d client requests failed, want 0", res.Failed)
	}
	inOrder(t, act.Name+" shutdown", act.VM.Console(),
		"watchdog: armed",
		"power button: watching",
		"poweroff requested by the power button",
		"shutdown: poweroff requested by the power button",
		"shutdown: handing over the VIPs",
		"vip: released",
		`msg="shutdown: done"`,
		"haproxy processes left: 0",
		"shutdown: unmount",
		"shutdown: disarm the watchdog done",
		"reboot: Power down")

	// 3. It boots again from its persisted seed and stays standby (no
	// failback in the example seeds).
	mark = oth.VM.Mark()
	if _, err := p.Boot(active); err != nil {
		t.Fatal(err)
	}
	seedLine, err := act.VM.WaitLine(vmbed.LineSeed, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seedLine, "persisted state") && !strings.Contains(seedLine, "TANDEM volume") {
		t.Errorf("second boot: %s", seedLine)
	}
	if _, err := act.VM.WaitLine(`seed: .* holds the persisted seed|seed: from persisted state`, 5*time.Second); err != nil {
		t.Errorf("second boot did not use the persisted seed: %v", err)
	}
	waitStatus(t, p, active, 90*time.Second, "Role: STANDBY", bothOnline)
	if _, _, err := oth.VM.WaitFrom(mark, regexp.MustCompile(`role active -> `), 0); err == nil {
		t.Errorf("%s gave the VIP back to the returning node (failback is off)", oth.Name)
	}

	// 4. Hard stop of the active node (QEMU quit, the power cord): the
	// returned node takes over, and the client is served again.
	probe, err = bed.StartProbe(testbed.VIPURL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	mark = act.VM.Mark()
	pulled := time.Now()
	if err := oth.VM.Quit(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitRole(active, mark, "active", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	took = time.Since(pulled)
	time.Sleep(2 * time.Second)
	res, err = probe.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hard stop of %s: %s active %v later; client: %s", oth.Name, act.Name, took.Round(time.Millisecond), res)
	if !res.Recovered(pulled) {
		t.Errorf("the client was not served again after the hard stop: %s", res)
	}
	if gap := res.GapAround(pulled); gap > 3*time.Second {
		t.Errorf("client outage %v after the hard stop, want under 3s", gap)
	}

	// 5. The survivor's console status.
	st = waitStatus(t, p, active, 30*time.Second, "Role: ACTIVE", `OFFLINE: \[ `+oth.Host+` \]`, "held by "+act.Host)
	t.Logf("status on %s after the hard stop:\n%s", act.Name, st)
	for _, want := range []string{"Cluster: HAcluster", "Node: " + act.Host, "192.168.10.80/24", "HAProxy: ready", "interlink", "Last failovers:"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q", want)
		}
	}
}
