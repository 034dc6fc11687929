package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"tandem/test/testbed"
	"tandem/test/vmbed"
)

// highlights are the console lines worth showing from a boot or a
// shutdown.
var highlights = regexp.MustCompile(`tandem: (seed: from|state: |watchdog: armed|HAProxy ready|shutdown: (poweroff|handing|unmount|disarm))|msg="(network: interface configured|role |vip: (acquired|released)|shutdown: done)|reboot: Power down`)

// showConsole prints the highlighted console lines after mark.
func showConsole(vm *vmbed.VM, mark int) {
	text := vm.Console()[mark:]
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if highlights.MatchString(l) {
			fmt.Printf("  %s | %s\n", vm.Name, strings.TrimSpace(l))
		}
	}
}

// get makes one client request through the VIP and prints the answer.
func get(bed *testbed.Bed) error {
	body, err := bed.Get(testbed.VIPURL, 2*time.Second)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	fmt.Printf("client: GET %s -> %s\n", testbed.VIPURL, strings.TrimSpace(body))
	return nil
}

// status runs `status` at a node's console prompt until it shows want,
// and prints it.
func status(p *vmbed.Pair, i int, want string) error {
	step("`status` typed at the serial console of %s", p.Nodes[i].Host)
	out, err := p.WaitStatus(i, 60*time.Second, want)
	if err == nil {
		fmt.Print(out)
	}
	return err
}

func runVMs(out string, disks [2]string) (err error) {
	if err := vmbed.Usable(); err != nil {
		return err
	}
	app, err := vmbed.FromOut(out)
	if err != nil {
		return err
	}
	step("The lab: client, web1 and web2 in network namespaces; the data LAN 192.168.10.0/24 and the interlink 10.1.1.0/24 are bridges, with a tap device for each VM's NIC")
	bed, err := testbed.New(nil, testbed.Options{VMs: true, Prefix: "demo"})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tandem-demo-")
	if err != nil {
		return err
	}
	p := vmbed.PairFromDisks(bed, app, dir, disks)
	defer func() {
		step("Tear down")
		p.Close()
		if cerr := bed.Close(); cerr != nil && err == nil {
			err = cerr
		}
		left, _ := exec.Command("pgrep", "-f", "qemu-system-x86_64 -name lb[12]-boot").Output()
		if n := len(strings.Fields(string(left))); n > 0 && err == nil {
			err = fmt.Errorf("%d VM(s) still running", n)
		}
		if err == nil {
			fmt.Println("both VMs are gone, the namespaces and bridges removed; nothing is left running")
			fmt.Printf("console logs: %s\n", dir)
		}
	}()

	step("Boot haproxy1 from %s (UEFI: OVMF, systemd-boot, tandem as PID 1; QEMU with TCG)", disks[0])
	vm1, err := p.Boot(0)
	if err != nil {
		return err
	}
	if _, err := vm1.WaitLine(vmbed.LineActive, 120*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, vm1.Console())
	}
	fmt.Printf("haproxy1 holds the VIP %.1fs after QEMU started:\n", time.Since(vm1.Started).Seconds())
	showConsole(vm1, 0)

	step("Boot haproxy2 from %s: it finds haproxy1 active and stays standby", disks[1])
	vm2, err := p.Boot(1)
	if err != nil {
		return err
	}
	if _, err := vm2.WaitLine(vmbed.LineReady, 120*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, vm2.Console())
	}
	showConsole(vm2, 0)
	if err := bed.WaitHTTP(testbed.VIPURL, 30*time.Second); err != nil {
		return err
	}
	for range 4 {
		if err := get(bed); err != nil {
			return err
		}
	}
	if err := status(p, 0, `Online: \[ haproxy1 haproxy2 \]`); err != nil {
		return err
	}

	step("Stop haproxy1 hard (QEMU monitor `quit`: the power cord) while the client sends a request every 10 ms")
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	mark := vm2.Mark()
	pulled := time.Now()
	if err := vm1.Quit(); err != nil {
		return err
	}
	if _, err := p.WaitRole(1, mark, "active", 30*time.Second); err != nil {
		return err
	}
	took := time.Since(pulled)
	time.Sleep(2 * time.Second)
	res, err := probe.Stop()
	if err != nil {
		return err
	}
	showConsole(vm2, mark)
	fmt.Printf("haproxy2 took the VIP %v after the stop; the client's longest wait was %v (%d requests, %d failed while the VIP moved)\n",
		took.Round(time.Millisecond), res.GapAround(pulled).Round(time.Millisecond), res.Total, res.Failed)
	for range 2 {
		if err := get(bed); err != nil {
			return err
		}
	}
	if err := status(p, 1, `OFFLINE: \[ haproxy1 \]`); err != nil {
		return err
	}

	step("Shut haproxy2 down in order with the ACPI power button (QEMU monitor `system_powerdown`)")
	mark = vm2.Mark()
	if err := vm2.PowerDown(); err != nil {
		return err
	}
	if err := vm2.Wait(90 * time.Second); err != nil {
		return err
	}
	showConsole(vm2, mark)
	return nil
}
