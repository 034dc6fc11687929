// Package elfdeps finds the files a dynamically linked ELF program needs at
// run time inside a package root: its interpreter (PT_INTERP) and the
// transitive DT_NEEDED libraries, searched in the standard library
// directories, with every symlink on the way kept so the copy behaves like
// the original tree.
package elfdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxLinks bounds symlink chains, as the kernel's ELOOP limit does.
const maxLinks = 40

// resolver follows paths inside root as if root were "/", remembering every
// symlink it passes through.
type resolver struct {
	root  string
	links map[string]string // relative path → link target
}

// resolve returns the real relative path (no symlinks left) of p, which is
// absolute within the root. Missing files return an error wrapping fs.ErrNotExist.
func (r *resolver) resolve(p string) (string, error) {
	pending := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	cur := ""
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = strings.TrimPrefix(path.Dir("/"+cur), "/")
			continue
		}
		next := path.Join(cur, c)
		st, err := os.Lstat(path.Join(r.root, next))
		if err != nil {
			return "", fmt.Errorf("elfdeps: resolve /%s: %w", p, err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxLinks {
			return "", fmt.Errorf("elfdeps: resolve /%s: too many symlinks", p)
		}
		target, err := os.Readlink(path.Join(r.root, next))
		if err != nil {
			return "", fmt.Errorf("elfdeps: readlink /%s: %w", next, err)
		}
		r.links[next] = target
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return cur, nil
}

// findFile returns the real path of p if it resolves to a regular file
// inside the root; a miss records no symlinks.
func (r *resolver) findFile(p string) (string, bool, error) {
	// Resolve on a scratch link map first so a failed probe adds no links.
	probe := &resolver{root: r.root, links: map[string]string{}}
	real, err := probe.resolve(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	st, err := os.Stat(path.Join(r.root, real))
	if err != nil || !st.Mode().IsRegular() {
		return "", false, nil
	}
	for k, v := range probe.links {
		r.links[k] = v
	}
	return real, true, nil
}

// Resolve returns the real path of p (absolute within root) with no symlinks
// left, relative to root, and the symlinks passed on the way (path → target).
func Resolve(root, p string) (string, map[string]string, error) {
	r := &resolver{root: root, links: map[string]string{}}
	real, err := r.resolve(p)
	if err != nil {
		return "", nil, err
	}
	return real, r.links, nil
}
