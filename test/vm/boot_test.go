package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tandem/test/testbed"
	"tandem/test/vmbed"
)

// startVM boots one appliance VM in the bed's LAN namespace, with lb1's
// NICs unless spec names others, and shows its console when the test
// fails.
func startVM(t *testing.T, bed *testbed.Bed, spec vmbed.Spec) *vmbed.VM {
	t.Helper()
	spec.Netns = bed.Netns(testbed.LAN)
	if spec.Dir == "" {
		spec.Dir = t.TempDir()
	}
	if spec.NICs == nil {
		spec.NICs = vmbed.NICs(0)
	}
	vm, err := vmbed.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vm.Kill()
		if t.Failed() {
			t.Logf("console:\n%s", vm.Console())
		}
	})
	return vm
}

// TestSeedOnCDROM boots the kernel and initramfs with the seed on an
// ISO9660 CD-ROM and no disk at all: the node runs from the CD's seed,
// says it cannot persist it, and takes the VIP alone.
func TestSeedOnCDROM(t *testing.T) {
	a := appliance(t)
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Skip("xorriso not installed")
	}
	root, err := testbed.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stage := filepath.Join(dir, "cd", "tandem")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{"haproxy1.toml": "seed.toml", "haproxy.cfg": "haproxy.cfg"} {
		b, err := os.ReadFile(filepath.Join(root, "configs", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stage, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iso := filepath.Join(dir, "seed.iso")
	if out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-V", "TANDEM", "-J", "-R",
		"-o", iso, filepath.Join(dir, "cd")).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	bed, err := testbed.New(t, testbed.Options{VMs: true, Prefix: "vc"})
	if err != nil {
		t.Fatal(err)
	}
	vm := startVM(t, bed, a.BootSpec(vmbed.Spec{Name: "cd", Dir: dir, CDROM: iso}, vmbed.BootKernel, ""))
	line, err := vm.WaitLine(vmbed.LineSeed, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "TANDEM volume /dev/sr0 (ISO9660)") {
		t.Errorf("seed source: %s", line)
	}
	for _, want := range []string{`state: .*no FAT volume labelled TANDEM`, `seed will not be persisted`, vmbed.LineActive} {
		if _, err := vm.WaitLine(want, 60*time.Second); err != nil {
			t.Error(err)
		}
	}
	t.Logf("QEMU start to VIP held: %v (%s)", time.Since(vm.Started).Round(100*time.Millisecond), line)
	if err := bed.WaitHTTP(testbed.VIPURL, 30*time.Second); err != nil {
		t.Errorf("client through the VIP: %v", err)
	}
}

// TestNoSeed boots without any seed: PID 1 stays up, says why on the
// console, answers the prompt, and powers off when told to.
func TestNoSeed(t *testing.T) {
	a := appliance(t)
	bed, err := testbed.New(t, testbed.Options{VMs: true, Prefix: "vn"})
	if err != nil {
		t.Fatal(err)
	}
	vm := startVM(t, bed, a.BootSpec(vmbed.Spec{Name: "noseed", NICs: vmbed.NICs(0)[:1]}, vmbed.BootKernel, ""))
	if _, err := vm.WaitLine(`no valid seed .*the load balancer is not running`, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := vm.Prompt("seed", 20*time.Second)
	if err != nil || !strings.Contains(out, "none found") {
		t.Errorf("seed at the prompt: %v\n%s", err, out)
	}
	out, err = vm.Prompt("status", 20*time.Second)
	if err != nil || !strings.Contains(out, "the runtime is not running") {
		t.Errorf("status at the prompt: %v\n%s", err, out)
	}
	// poweroff asks for confirmation; the prompt stays open for the answer.
	if err := vm.Type("\r"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := vm.Type("poweroff\r"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := vm.Type("y\r"); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"poweroff requested by the console", "shutdown: no runtime running", "reboot: Power down"} {
		if !strings.Contains(vm.Console(), want) {
			t.Errorf("console lacks %q", want)
		}
	}
}

// TestSeedFromFwCfg boots the kernel and initramfs with the seed and its
// HAProxy configuration passed by QEMU fw_cfg and no disk: the node runs
// from fw_cfg and takes the VIP alone.
func TestSeedFromFwCfg(t *testing.T) {
	a := appliance(t)
	root, err := testbed.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bed, err := testbed.New(t, testbed.Options{VMs: true, Prefix: "vf"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// No disk: a seed volume would be tried before fw_cfg.
	vm := startVM(t, bed, a.BootSpec(vmbed.Spec{Name: "fwcfg", Dir: dir, FwCfg: map[string]string{
		"opt/tandem/seed.toml":   filepath.Join(root, "configs", "haproxy1.toml"),
		"opt/tandem/haproxy.cfg": filepath.Join(root, "configs", "haproxy.cfg"),
	}}, vmbed.BootKernel, ""))
	line, err := vm.WaitLine(vmbed.LineSeed, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "seed: from QEMU fw_cfg") {
		t.Errorf("seed source: %s", line)
	}
	if _, err := vm.WaitLine(vmbed.LineActive, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 30*time.Second); err != nil {
		t.Errorf("client through the VIP: %v", err)
	}
}

// TestGenericKernel builds the image with Debian's generic kernel (the
// bare-metal option) and boots it with the hardware QEMU emulates for
// physical machines: an Intel e1000 NIC for the data LAN and the i6300esb
// watchdog. Coldplug loads both drivers, PID 1 arms the hardware watchdog
// (no softdog), and the node serves the VIP over the e1000.
func TestGenericKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a 70 MB kernel package on first run")
	}
	if err := vmbed.Usable(); err != nil {
		t.Skipf("vm: %v", err)
	}
	dir := t.TempDir()
	a, err := vmbed.BuildAppliance(t.Context(), dir, "linux-image-amd64", os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	bed, err := testbed.New(t, testbed.Options{VMs: true, Prefix: "vg"})
	if err != nil {
		t.Fatal(err)
	}
	root, err := testbed.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	seedDisk := filepath.Join(dir, "seed.img")
	if err := a.NodeDisk(vmbed.BootKernel, filepath.Join(root, "configs", "haproxy1.toml"), seedDisk); err != nil {
		t.Fatal(err)
	}
	nics := vmbed.NICs(0)
	nics[0].Model = "e1000"
	vm := startVM(t, bed, a.BootSpec(vmbed.Spec{Name: "generic", Dir: dir, NICs: nics}, vmbed.BootKernel, seedDisk))
	loaded, err := vm.WaitLine(`tandem: modules: loaded `, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"e1000,", "i6300esb"} {
		if !strings.Contains(loaded, m) {
			t.Errorf("module %s not loaded: %s", strings.TrimSuffix(m, ","), loaded)
		}
	}
	if _, err := vm.WaitLine(`tandem: watchdog: armed`, 30*time.Second); err != nil {
		t.Error(err)
	}
	if strings.Contains(vm.Console(), "loaded softdog") {
		t.Error("softdog loaded although the i6300esb is there")
	}
	if _, err := vm.WaitLine(vmbed.LineActive, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bed.WaitHTTP(testbed.VIPURL, 30*time.Second); err != nil {
		t.Errorf("client through the VIP over the e1000: %v", err)
	}
	t.Logf("%s; QEMU start to VIP held %v", loaded, time.Since(vm.Started).Round(100*time.Millisecond))
}
