package vm

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"tandem/test/testbed"
	"tandem/test/vmbed"
)

// BenchmarkBoot measures, under TCG, the time from QEMU's start to the
// node holding the VIP (a lone node: it probes after its startup wait),
// for both ways of booting, side by side in one run:
//
//	go test -run '^$' -bench Boot -benchtime 1x ./test/vm
func BenchmarkBoot(b *testing.B) {
	if err := vmbed.Usable(); err != nil {
		b.Skipf("vm: %v", err)
	}
	a := appliance(b)
	bed, err := testbed.New(b, testbed.Options{VMs: true, Prefix: "vb"})
	if err != nil {
		b.Fatal(err)
	}
	const runs = 3
	dir := b.TempDir()
	root, err := testbed.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	seedFile := filepath.Join(root, "configs", "haproxy1.toml")
	type row struct {
		boot   vmbed.Boot
		active []time.Duration
	}
	rows := []*row{{boot: vmbed.BootUEFI}, {boot: vmbed.BootKernel}}
	for i := 0; i < b.N; i++ {
		for run := 0; run < runs; run++ {
			for _, r := range rows {
				name := fmt.Sprintf("bench-%d-%d", r.boot, run)
				disk := filepath.Join(dir, name+".img")
				if err := a.NodeDisk(r.boot, seedFile, disk); err != nil {
					b.Fatal(err)
				}
				spec := a.BootSpec(vmbed.Spec{Name: name, Netns: bed.Netns(testbed.LAN), Dir: dir, NICs: vmbed.NICs(0)}, r.boot, disk)
				vm, err := vmbed.Start(spec)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := vm.WaitLine(vmbed.LineActive, 60*time.Second); err != nil {
					vm.Kill()
					b.Fatalf("%v\n%s", err, vm.Console())
				}
				r.active = append(r.active, time.Since(vm.Started))
				vm.Kill()
			}
		}
	}
	b.Logf("QEMU start to VIP held (TCG, 1 vCPU, lone node incl. its startup wait), %d runs each:", runs)
	for _, r := range rows {
		slices.Sort(r.active)
		b.Logf("  %-36s median %5.1fs  min %5.1fs  max %5.1fs  (target: within 20 s)", r.boot, r.active[len(r.active)/2].Seconds(),
			r.active[0].Seconds(), r.active[len(r.active)-1].Seconds())
	}
}
