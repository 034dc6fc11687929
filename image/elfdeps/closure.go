package elfdeps

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"tandem/image/fstree"
)

// LibDirs are the directories searched for DT_NEEDED names, in order
// (Debian's multiarch layout first, as ld.so.conf has it on amd64).
var LibDirs = []string{
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
}

// Closure is the set of files a program needs, relative to the package root.
type Closure struct {
	Files    []string          // real regular files, sorted
	Symlinks map[string]string // symlink path → target, as found in the root
}

// Find computes the closure of the given programs (absolute paths inside root).
func Find(root string, programs ...string) (*Closure, error) {
	r := &resolver{root: root, links: map[string]string{}}
	files := map[string]bool{}
	var queue []string
	add := func(p string) error {
		real, err := r.resolve(p)
		if err != nil {
			return err
		}
		if !files[real] {
			files[real] = true
			queue = append(queue, real)
		}
		return nil
	}
	for _, p := range programs {
		if err := add(p); err != nil {
			return nil, err
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		interp, needed, runpath, err := readDeps(path.Join(root, cur))
		if err != nil {
			return nil, err
		}
		if interp != "" {
			if err := add(interp); err != nil {
				return nil, fmt.Errorf("elfdeps: interpreter of /%s: %w", cur, err)
			}
		}
		for _, name := range needed {
			p, err := r.findLib(name, runpath, cur)
			if err != nil {
				return nil, err
			}
			if err := add(p); err != nil {
				return nil, err
			}
		}
	}
	c := &Closure{Symlinks: r.links}
	for f := range files {
		c.Files = append(c.Files, f)
	}
	sort.Strings(c.Files)
	return c, nil
}

func (r *resolver) findLib(name string, runpath []string, from string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	dirs := append(append([]string{}, runpath...), LibDirs...)
	for _, d := range dirs {
		d = strings.ReplaceAll(d, "$ORIGIN", "/"+path.Dir(from))
		if p := path.Join(d, name); true {
			if _, ok, err := r.findFile(p); err != nil {
				return "", err
			} else if ok {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("elfdeps: /%s needs %s: not found in %v", from, name, dirs)
}

// readDeps returns an ELF file's interpreter, DT_NEEDED and DT_RUNPATH/RPATH
// entries. Non-ELF files (scripts) have none.
func readDeps(file string) (interp string, needed, runpath []string, err error) {
	f, err := elf.Open(file)
	if err != nil {
		if _, ok := err.(*elf.FormatError); ok {
			return "", nil, nil, nil
		}
		return "", nil, nil, fmt.Errorf("elfdeps: open %s: %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", nil, nil, fmt.Errorf("elfdeps: read PT_INTERP of %s: %w", file, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if f.Section(".dynamic") == nil && f.SectionByType(elf.SHT_DYNAMIC) == nil {
		return interp, nil, nil, nil
	}
	if needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return "", nil, nil, fmt.Errorf("elfdeps: DT_NEEDED of %s: %w", file, err)
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		v, err := f.DynString(tag)
		if err != nil {
			return "", nil, nil, fmt.Errorf("elfdeps: %v of %s: %w", tag, file, err)
		}
		for _, s := range v {
			runpath = append(runpath, strings.Split(s, ":")...)
		}
	}
	return interp, needed, runpath, nil
}

// AddTo copies the closure into t at the same paths, symlinks included.
func (c *Closure) AddTo(t *fstree.Tree, root string) error {
	links := make([]string, 0, len(c.Symlinks))
	for l := range c.Symlinks {
		links = append(links, l)
	}
	sort.Strings(links)
	// Directory symlinks first (e.g. lib64), so files resolve under real dirs.
	for _, l := range links {
		if err := t.AddSymlink(l, c.Symlinks[l]); err != nil {
			return err
		}
	}
	for _, f := range c.Files {
		src := path.Join(root, f)
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("elfdeps: %w", err)
		}
		// Fixed modes: executable or not is all that matters, not the umask
		// the package root was unpacked with.
		perm := os.FileMode(0o644)
		if st.Mode().Perm()&0o111 != 0 {
			perm = 0o755
		}
		if err := t.AddFile(f, src, perm); err != nil {
			return err
		}
	}
	return nil
}
