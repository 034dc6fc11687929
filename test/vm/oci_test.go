package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/image"
	"tandem/image/oci"
	"tandem/init/reap"
	"tandem/test/testbed"
)

// TestOCIImage runs the OCI image's root as a container would: unpacked
// from tandem-oci.tar, its entrypoint as PID 1 of new PID, mount and UTS
// namespaces, chrooted into the root, with the host network of lb1's
// namespace (--network host) and the seed and state given as a container
// manager passes them (a bind-mounted folder, TANDEM_CMDLINE). podman and
// crun do not run on these machines (cgroups in hybrid mode, no
// CAP_SYS_RESOURCE), so util-linux unshare stands in for the runtime.
func TestOCIImage(t *testing.T) {
	a := appliance(t)
	archive := filepath.Join(filepath.Dir(a.Kernel), image.OCIFile)
	img, err := oci.Inspect(archive)
	if err != nil {
		t.Fatal(err)
	}
	if ep := img.Config.Config.Entrypoint; len(ep) != 1 || ep[0] != "/init" {
		t.Fatalf("entrypoint %v, want [/init]", ep)
	}
	// Unpack: the archive, then its one layer, with GNU tar.
	dir := t.TempDir()
	ociDir, root := filepath.Join(dir, "oci"), filepath.Join(dir, "root")
	for _, d := range []string{ociDir, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("tar", "-xf", archive, "-C", ociDir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	layer := filepath.Join(ociDir, "blobs", "sha256", strings.TrimPrefix(img.Manifest.Layers[0].Digest, "sha256:"))
	if out, err := exec.Command("tar", "-xzf", layer, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("tar layer: %v\n%s", err, out)
	}
	seedDir := filepath.Join(root, "seed")
	if err := os.MkdirAll(seedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	mod, err := testbed.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"haproxy1.toml", "haproxy.cfg"} {
		b, err := os.ReadFile(filepath.Join(mod, "configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(seedDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	bed, err := testbed.New(t, testbed.Options{Prefix: "vo"})
	if err != nil {
		t.Fatal(err)
	}
	// The container's environment is the image's plus what a manager
	// adds; the bed runs it in lb1's namespace, logs it and kills it.
	args := append([]string{"env", "-i"}, img.Config.Config.Env...)
	args = append(args, "container=oci", "TANDEM_CMDLINE=tandem.seed=/seed/haproxy1.toml tandem.state=/state",
		"/usr/bin/unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--root="+root, "/init")
	proc, err := bed.Start(testbed.LB1, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("container output:\n%s", proc.Log())
		}
	})
	if err := bed.WaitHTTP(testbed.VIPURL, 60*time.Second); err != nil {
		t.Fatalf("client through the VIP: %v", err)
	}
	if !bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		t.Errorf("lb1 serves the VIP but does not hold it")
	}
	for _, want := range []string{"container: yes, container=oci in the environment",
		"container: skipping kernel modules, the hardware watchdog and reboot", "seed: from kernel command line",
		"HAProxy ready"} {
		if !strings.Contains(proc.Log(), want) {
			t.Errorf("container output lacks %q", want)
		}
	}

	// docker/podman stop: SIGTERM to PID 1, an orderly shutdown, exit 0.
	pid := childOf(proc.Pid())
	if pid <= 0 {
		t.Fatal("no PID 1 under unshare")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.Done():
		if err := proc.Wait(); err != nil {
			t.Errorf("container exit: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("still running 60s after SIGTERM")
	}
	inOrder(t, "container stop", proc.Log(), "shutdown: reboot requested by signal terminated",
		"vip: released", "exiting with status 0")
	if bed.HasAddr(testbed.LB1, "eth0", testbed.VIP.Addr()) {
		t.Errorf("the VIP stayed on lb1 after the container stopped")
	}
	if _, err := os.Stat(filepath.Join(root, "state", "tandem", "seed.toml")); err != nil {
		t.Errorf("seed not persisted in the state folder: %v", err)
	}
}

// childOf is the first child of pid (unshare's forked PID 1), or 0.
func childOf(pid int) int {
	if c := reap.Children(pid); len(c) > 0 {
		return c[0]
	}
	return 0
}
