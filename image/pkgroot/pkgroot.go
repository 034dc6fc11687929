// Package pkgroot provides the Debian package root the image is cut from:
// either a directory made by mkosi (Format=directory), or a set of .debs
// fetched with apt-get download into a cache directory and unpacked in Go.
// Both the downloads and the unpacked root are cached, so a warm build needs
// no network and no unpacking.
package pkgroot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"tandem/image/deb"
)

// DefaultKernel is the kernel package: the cloud flavour is small and has
// the virtio, vmxnet3 and Hyper-V drivers; linux-image-amd64 adds physical
// NICs and disks (e1000e, igb, ixgbe, ahci).
const DefaultKernel = "linux-image-cloud-amd64"

// Roots returns the packages the appliance is built from, with the given
// kernel package.
func Roots(kernel string) []string {
	if kernel == "" {
		kernel = DefaultKernel
	}
	return []string{"haproxy", kernel, "systemd-boot-efi", "ca-certificates"}
}

// listFile records the resolved package set in the cache, so a warm build
// neither asks apt nor needs its package lists. Its first line names the
// roots it was resolved from; other roots re-resolve. Delete it to
// re-resolve after a Debian point release.
const listFile = "packages.txt"

// FromDebs makes sure the .debs of roots and their library dependencies are
// in cacheDir (downloading what is missing) and returns an unpacked root
// built from them, reused while the set of .debs is unchanged.
func FromDebs(ctx context.Context, cacheDir string, roots []string, log io.Writer) (string, error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("pkgroot: %w", err)
	}
	pkgs, err := packageSet(ctx, cacheDir, roots, log)
	if err != nil {
		return "", err
	}
	debs, missing, err := findDebs(cacheDir, pkgs)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		fmt.Fprintf(log, "pkgroot: downloading %d packages: %s\n", len(missing), strings.Join(missing, " "))
		if err := download(ctx, cacheDir, missing); err != nil {
			return "", err
		}
		if debs, missing, err = findDebs(cacheDir, pkgs); err != nil {
			return "", err
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("pkgroot: still missing after download: %v", missing)
		}
	}
	return unpackCached(cacheDir, debs, log)
}

func packageSet(ctx context.Context, cacheDir string, roots []string, log io.Writer) ([]string, error) {
	header := "# roots: " + strings.Join(roots, " ")
	if b, err := os.ReadFile(filepath.Join(cacheDir, listFile)); err == nil {
		first, rest, _ := strings.Cut(string(b), "\n")
		if first == header {
			return strings.Fields(rest), nil
		}
	}
	pkgs, err := Resolve(ctx, roots)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "pkgroot: resolved %d packages\n", len(pkgs))
	body := header + "\n" + strings.Join(pkgs, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(cacheDir, listFile), []byte(body), 0o644); err != nil {
		return nil, fmt.Errorf("pkgroot: %w", err)
	}
	return pkgs, nil
}

// findDebs maps package names to cached files; exactly one version each.
func findDebs(cacheDir string, pkgs []string) (debs, missing []string, err error) {
	for _, p := range pkgs {
		m, _ := filepath.Glob(filepath.Join(cacheDir, p+"_*.deb"))
		switch len(m) {
		case 0:
			missing = append(missing, p)
		case 1:
			debs = append(debs, m[0])
		default:
			return nil, nil, fmt.Errorf("pkgroot: several versions of %s in %s (%v): remove the old ones", p, cacheDir, m)
		}
	}
	sort.Strings(debs)
	return debs, missing, nil
}

// unpackCached unpacks debs into cacheDir/root-<hash of names and sizes>.
func unpackCached(cacheDir string, debs []string, log io.Writer) (string, error) {
	h := sha256.New()
	for _, d := range debs {
		st, err := os.Stat(d)
		if err != nil {
			return "", fmt.Errorf("pkgroot: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(d), st.Size())
	}
	root := filepath.Join(cacheDir, "root-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(root, ".complete")); err == nil {
		return root, nil
	}
	// Unpack beside the final name and rename, so an interrupted or
	// concurrent build never sees a half-unpacked root.
	tmp, err := os.MkdirTemp(cacheDir, ".unpack-")
	if err != nil {
		return "", fmt.Errorf("pkgroot: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "pkgroot: unpacking %d packages into %s\n", len(debs), root)
	for _, d := range debs {
		if err := deb.Unpack(d, tmp); err != nil {
			return "", fmt.Errorf("pkgroot: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("pkgroot: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", fmt.Errorf("pkgroot: %w", err)
	}
	os.RemoveAll(root) // an old incomplete one
	if err := os.Rename(tmp, root); err != nil {
		if _, serr := os.Stat(filepath.Join(root, ".complete")); serr == nil {
			return root, nil // another build finished first
		}
		return "", fmt.Errorf("pkgroot: %w", err)
	}
	return root, nil
}
