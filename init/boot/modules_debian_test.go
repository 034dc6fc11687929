package boot

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func openDebian(t *testing.T, meta string) *ModuleDB {
	t.Helper()
	dir := debianModules(t, meta)
	start := time.Now()
	db, err := OpenModules(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s, parsed in %v", filepath.Base(dir), db.Stats(), time.Since(start))
	return db
}

// before asserts that in order, a comes before b and both are present.
func before(t *testing.T, order []string, a, b string) {
	t.Helper()
	i, j := slices.Index(order, a), slices.Index(order, b)
	if i < 0 || j < 0 || i >= j {
		t.Errorf("want %s before %s in %v", a, b, order)
	}
}

func TestDebianCloudKernelResolve(t *testing.T) {
	db := openDebian(t, "linux-image-cloud-amd64")

	// A virtio-net PCI function is claimed by virtio_pci; virtio_pci then
	// registers a virtio bus device whose modalias names virtio_net.
	if got := db.Resolve("pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"); !slices.Equal(got, []string{"virtio_pci"}) {
		t.Errorf("virtio-net PCI modalias resolved to %v, want [virtio_pci]", got)
	}
	if got := db.Resolve("virtio:d00000001v00001AF4"); !slices.Equal(got, []string{"virtio_net"}) {
		t.Fatalf("virtio net device resolved to %v, want [virtio_net]", got)
	}
	order, err := db.Closure("virtio_net")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("virtio_net load order: %v", order)
	before(t, order, "failover", "net_failover")
	before(t, order, "net_failover", "virtio_net")
	before(t, order, "virtio_ring", "virtio")
	before(t, order, "virtio", "virtio_net")
	if order[len(order)-1] != "virtio_net" {
		t.Errorf("virtio_net must load last: %v", order)
	}

	// An Intel NIC on the cloud kernel: the X540 virtual function.
	if got := db.Resolve("pci:v00008086d00001515sv00008086sd00000000bc02sc00i00"); !slices.Equal(got, []string{"ixgbevf"}) {
		t.Errorf("Intel X540 VF resolved to %v, want [ixgbevf]", got)
	}
	// An unknown device resolves to nothing.
	if got := db.Resolve("pci:v0000FFFFd0000FFFFsv00000000sd00000000bc99sc00i00"); len(got) != 0 {
		t.Errorf("unknown device resolved to %v", got)
	}

	vfat, err := db.Closure("vfat")
	if err != nil || !slices.Equal(vfat, []string{"fat", "vfat"}) {
		t.Errorf("vfat closure = %v, %v; want [fat vfat]", vfat, err)
	}
	for name, want := range map[string][]string{
		"vfat": {"vfat"}, "fs-vfat": {"vfat"}, "iso9660": {"isofs"},
		"nls_cp437": {"nls_cp437"}, "nls-ascii": {"nls_ascii"},
	} {
		if got, err := db.Lookup(name); err != nil || !slices.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	// nls_base is built in: found, nothing to load.
	if got, err := db.Lookup("nls_base"); err != nil || len(got) != 0 {
		t.Errorf("Lookup(nls_base) = %v, %v; want built in", got, err)
	}
	// The cloud kernel has no e1000e and no i6300esb (see the generic test).
	for _, name := range []string{"e1000e", "i6300esb", "no_such_module"} {
		if _, err := db.Lookup(name); !errors.Is(err, ErrModuleNotFound) {
			t.Errorf("Lookup(%q) err = %v, want ErrModuleNotFound", name, err)
		}
	}
}

// The generic Debian kernel carries the drivers for emulated hardware
// (e1000e, the i6300esb watchdog) that the cloud flavour leaves out.
func TestDebianGenericKernelResolve(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a 70 MB kernel package on first run")
	}
	db := openDebian(t, "linux-image-amd64")
	if got := db.Resolve("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"); !slices.Equal(got, []string{"e1000e"}) {
		t.Errorf("Intel 82574L resolved to %v, want [e1000e]", got)
	}
	if got := db.Resolve("pci:v00008086d000025ABsv00001AF4sd00001100bc08sc80i00"); !slices.Equal(got, []string{"i6300esb"}) {
		t.Errorf("i6300esb watchdog resolved to %v, want [i6300esb]", got)
	}
	order, err := db.Closure("e1000e")
	if err != nil || order[len(order)-1] != "e1000e" {
		t.Errorf("e1000e closure = %v, %v", order, err)
	}
	t.Logf("e1000e load order: %v", order)
}

// Loading records the order through Insert; Coldplug-like callers see each
// module inserted once even when many devices need it.
func TestDebianLoadOrder(t *testing.T) {
	db := openDebian(t, "linux-image-cloud-amd64")
	var inserted []string
	db.Insert = func(path string) error {
		inserted = append(inserted, ModuleName(path))
		return nil
	}
	for _, name := range []string{"virtio_net", "fs-vfat", "nls_cp437", "nls_ascii", "iso9660", "vfat"} {
		if err := db.Load(name); err != nil {
			t.Fatalf("Load(%s): %v", name, err)
		}
	}
	t.Logf("inserted: %v", inserted)
	before(t, inserted, "failover", "net_failover")
	before(t, inserted, "net_failover", "virtio_net")
	before(t, inserted, "fat", "vfat")
	seen := map[string]bool{}
	for _, m := range inserted {
		if seen[m] {
			t.Errorf("%s inserted twice", m)
		}
		seen[m] = true
	}
	if !seen["isofs"] || !seen["nls_cp437"] || !seen["nls_ascii"] {
		t.Errorf("missing explicit modules in %v", inserted)
	}
	if err := db.Load("no_such_module"); !errors.Is(err, ErrModuleNotFound) {
		t.Errorf("Load(no_such_module) = %v", err)
	}
}

// Resolution must be fast: every alias of the real index against a batch of
// device modaliases.
func TestDebianResolveSpeed(t *testing.T) {
	db := openDebian(t, "linux-image-cloud-amd64")
	devices := []string{
		"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
		"pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00",
		"pci:v00008086d00007000sv00001AF4sd00001100bc06sc01i00",
		"pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80",
		"pci:v00008086d00007113sv00001AF4sd00001100bc06sc80i00",
		"virtio:d00000001v00001AF4", "virtio:d00000002v00001AF4", "virtio:d00000004v00001AF4",
		"acpi:PNP0303:", "acpi:PNP0501:", "acpi:PNP0A03:", "acpi:QEMU0002:",
		"platform:serial8250", "platform:i8042",
		"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0002,0003,0004,0005,0006,0007,0008,0009,000B,000C,000D,000E,000F,0010,0011,0013,0015,0016,0017,0018,0019,001A,001B,001C,001D,001F,002B,0034,003A,003B,003D,0068,006F,0070,0072,0074,0075,0076,0079,0080,0081,0089,008C,008D,0091,0093,0094,0096,0097,0099,009A,009B,009C,009D,009E,00C0,00C5,00E1,00E3,00EB,00EC,00F0,00F1,00F3,00F5,00F6,00F9,00FA,00FB,00FE,00FF,0100,0101,0102,0103,0111,0120,0121,0123,0125,0127,0128,0129,012A,012D,0140,0165,024A,025A,025B,025C,025D,025F,02A0",
	}
	for len(devices) < 50 {
		devices = append(devices, devices[len(devices)%15])
	}
	start := time.Now()
	hits := 0
	for _, d := range devices {
		hits += len(db.Resolve(d))
	}
	took := time.Since(start)
	t.Logf("resolved %d modaliases (%d module hits) in %v", len(devices), hits, took)
	if took > 50*time.Millisecond {
		t.Errorf("resolution too slow: %v", took)
	}
}

// Coldplug rescans after a bus driver loads: the fake sysfs gains the
// virtio device once virtio_pci is "inserted", as the kernel would do.
func TestDebianColdplugRounds(t *testing.T) {
	db := openDebian(t, "linux-image-cloud-amd64")
	sys := t.TempDir()
	writeModalias(t, sys, "pci", "0000:00:03.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	writeModalias(t, sys, "pci", "0000:00:04.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	writeModalias(t, sys, "pci", "0000:00:05.0", "pci:v0000FFFFd0000FFFFsv00000000sd00000000bc99sc00i00")
	var inserted []string
	db.Insert = func(path string) error {
		m := ModuleName(path)
		inserted = append(inserted, m)
		if m == "virtio_pci" {
			writeModalias(t, sys, "virtio", "virtio0", "virtio:d00000001v00001AF4")
		}
		return nil
	}
	rep := db.Coldplug(sys)
	t.Logf("coldplug: %+v; inserted %v", rep, inserted)
	if len(rep.Errors) != 0 {
		t.Fatal(rep.Errors)
	}
	if rep.Modaliases != 3 || rep.Matched != 2 || !slices.Equal(rep.Modules, []string{"virtio_pci", "virtio_net"}) {
		t.Errorf("report = %+v", rep)
	}
	before(t, inserted, "virtio_pci", "virtio_net")
	before(t, inserted, "failover", "virtio_net")

	// No module support in the kernel: stop at the first error.
	db2 := openDebian(t, "linux-image-cloud-amd64")
	calls := 0
	db2.Insert = func(string) error { calls++; return ErrNoModuleSupport }
	rep = db2.Coldplug(sys)
	if calls != 1 || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], ErrNoModuleSupport) {
		t.Errorf("without module support: %d calls, %v", calls, rep.Errors)
	}
}

func writeModalias(t *testing.T, sys, bus, dev, alias string) {
	t.Helper()
	d := filepath.Join(sys, "bus", bus, "devices", dev)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "modalias"), []byte(alias+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
}

// InsertModule on a file that is not a module fails with an error naming
// it; on a kernel without modules it says so.
func TestInsertModuleErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if err := InsertModule(filepath.Join(t.TempDir(), "missing.ko")); err == nil {
		t.Fatal("missing file loaded")
	}
	bogus := filepath.Join(t.TempDir(), "bogus.ko")
	if err := os.WriteFile(bogus, []byte("not an ELF module"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := InsertModule(bogus)
	if err == nil {
		t.Fatal("garbage accepted as a module")
	}
	if !fileExists("/proc/modules") && !errors.Is(err, ErrNoModuleSupport) {
		t.Errorf("kernel without modules: got %v, want ErrNoModuleSupport", err)
	}
	t.Logf("InsertModule(garbage): %v", err)
}
