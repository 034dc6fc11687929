package kmod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tandem/image/internal/fakeelf"
)

func fakeModule(t *testing.T, file string, modinfo ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, fakeelf.Module(modinfo...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fakeKernel(t *testing.T) string {
	dir := t.TempDir()
	k := filepath.Join(dir, "kernel")
	fakeModule(t, filepath.Join(k, "fs/fat/vfat.ko"), "alias=fs-vfat", "depends=fat", "name=vfat")
	fakeModule(t, filepath.Join(k, "fs/fat/fat.ko"), "depends=", "name=fat")
	fakeModule(t, filepath.Join(k, "drivers/net/virtio_net.ko"), "alias=virtio:d00000001v*", "depends=net_failover", "name=virtio_net")
	fakeModule(t, filepath.Join(k, "drivers/net/net_failover.ko"), "depends=failover", "name=net_failover")
	fakeModule(t, filepath.Join(k, "net/core/failover.ko"), "depends=", "name=failover")
	fakeModule(t, filepath.Join(k, "drivers/unused.ko"), "alias=pci:v1234*", "name=unused")
	fakeModule(t, filepath.Join(k, "fs/isofs/isofs.ko"), "alias=fs-iso9660", "alias=iso9660", "name=isofs")
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/net/packet/af_packet.ko\n"), 0o644)
	return dir
}

func TestClosureAndFiles(t *testing.T) {
	ix, err := Load(fakeKernel(t))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := ix.Closure([]string{"virtio-net", "vfat", "af_packet", "e1000", "iso9660"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Selection{
		Modules: []string{"failover", "fat", "isofs", "net_failover", "vfat", "virtio_net"},
		Builtin: []string{"af_packet"},
		Missing: []string{"e1000"},
	}
	if diff := cmp.Diff(want, sel); diff != "" {
		t.Errorf("Closure mismatch (-want +got):\n%s", diff)
	}
	wantDep := "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n" +
		"kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko\n" +
		"kernel/fs/fat/fat.ko:\n" +
		"kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n" +
		"kernel/fs/isofs/isofs.ko:\n" +
		"kernel/net/core/failover.ko:\n"
	if got := string(ix.DepFile(sel.Modules)); got != wantDep {
		t.Errorf("DepFile =\n%s\nwant\n%s", got, wantDep)
	}
	alias := string(ix.AliasFile(sel.Modules))
	if !strings.Contains(alias, "alias virtio:d00000001v* virtio_net\n") || !strings.Contains(alias, "alias fs-vfat vfat\n") {
		t.Errorf("AliasFile = %q, want virtio_net and vfat aliases", alias)
	}
	if strings.Contains(alias, "unused") {
		t.Errorf("AliasFile = %q lists a module that is not shipped", alias)
	}
}

func TestBrokenDependency(t *testing.T) {
	dir := t.TempDir()
	fakeModule(t, filepath.Join(dir, "kernel/a.ko"), "depends=b", "name=a")
	ix, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Closure([]string{"a"}); err == nil {
		t.Errorf("Closure with a missing dependency = nil error, want error")
	}
}
