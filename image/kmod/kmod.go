// Package kmod selects kernel modules and their dependency closure from a
// kernel's module tree and writes a matching modules.dep and modules.alias,
// computed from each module's .modinfo section, so the slim tree is
// self-consistent without running depmod.
package kmod

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Module is one loadable module.
type Module struct {
	Name    string   // canonical name, '-' replaced by '_'
	Path    string   // relative to the module directory ("kernel/fs/fat/vfat.ko")
	Depends []string // canonical names from modinfo depends=
	Aliases []string // modinfo alias= patterns
}

// Index is every module of one kernel.
type Index struct {
	Dir     string // host path of lib/modules/<version>
	Modules map[string]*Module
	Builtin map[string]bool // from modules.builtin
}

// Canonical normalises a module name the way the kernel does.
func Canonical(name string) string {
	name = strings.TrimSuffix(path.Base(name), ".ko")
	return strings.ReplaceAll(name, "-", "_")
}

// Load scans dir (lib/modules/<version>) for *.ko files.
func Load(dir string) (*Index, error) {
	ix := &Index{Dir: dir, Modules: map[string]*Module{}, Builtin: map[string]bool{}}
	err := filepath.WalkDir(filepath.Join(dir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			return nil
		}
		if strings.HasSuffix(name, ".ko.xz") || strings.HasSuffix(name, ".ko.zst") || strings.HasSuffix(name, ".ko.gz") {
			return fmt.Errorf("compressed module %s is not supported", p)
		}
		if !strings.HasSuffix(name, ".ko") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		m, err := readModinfo(p)
		if err != nil {
			return err
		}
		m.Path = filepath.ToSlash(rel)
		if m.Name == "" {
			m.Name = Canonical(name)
		}
		ix.Modules[m.Name] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kmod: scan %s: %w", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "modules.builtin")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			ix.Builtin[Canonical(l)] = true
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("kmod: %w", err)
	}
	return ix, nil
}

func readModinfo(file string) (*Module, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open module %s: %w", file, err)
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return &Module{}, nil
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("read .modinfo of %s: %w", file, err)
	}
	m := &Module{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		k, v, ok := strings.Cut(string(kv), "=")
		if !ok {
			continue
		}
		switch k {
		case "name":
			m.Name = Canonical(v)
		case "depends":
			for _, d := range strings.Split(v, ",") {
				if d != "" {
					m.Depends = append(m.Depends, Canonical(d))
				}
			}
		case "alias":
			m.Aliases = append(m.Aliases, v)
		}
	}
	return m, nil
}

// Selection is the result of Closure.
type Selection struct {
	Modules []string // names to ship, sorted
	Builtin []string // requested names built into the kernel (nothing to ship)
	Missing []string // requested names neither modular nor built in
}

// Closure resolves requested names to modules plus everything they depend on.
func (ix *Index) Closure(names []string) (*Selection, error) {
	sel := &Selection{}
	seen := map[string]bool{}
	var visit func(n, from string) error
	visit = func(n, from string) error {
		if seen[n] {
			return nil
		}
		m, ok := ix.Modules[n]
		if !ok {
			return fmt.Errorf("kmod: %s depends on %s, which is not in %s", from, n, ix.Dir)
		}
		seen[n] = true
		for _, d := range m.Depends {
			if err := visit(d, n); err != nil {
				return err
			}
		}
		return nil
	}
	for _, raw := range names {
		n := Canonical(raw)
		switch {
		case ix.Modules[n] != nil:
			if err := visit(n, n); err != nil {
				return nil, err
			}
		case ix.Builtin[n]:
			sel.Builtin = append(sel.Builtin, n)
		case ix.byAlias(n) != "":
			// e.g. iso9660 is the module isofs with alias fs-iso9660.
			if err := visit(ix.byAlias(n), n); err != nil {
				return nil, err
			}
		default:
			sel.Missing = append(sel.Missing, n)
		}
	}
	for n := range seen {
		sel.Modules = append(sel.Modules, n)
	}
	sort.Strings(sel.Modules)
	sort.Strings(sel.Builtin)
	sort.Strings(sel.Missing)
	return sel, nil
}

// byAlias finds the module declaring alias n or "fs-"+n (sorted by name
// when several do, so the choice is stable).
func (ix *Index) byAlias(n string) string {
	var hits []string
	for name, m := range ix.Modules {
		for _, a := range m.Aliases {
			if a == n || a == "fs-"+n {
				hits = append(hits, name)
				break
			}
		}
	}
	sort.Strings(hits)
	if len(hits) == 0 {
		return ""
	}
	return hits[0]
}

// loadOrder returns m's dependencies in modules.dep order: modprobe loads the
// list from the end, so the deepest dependency comes last.
func (ix *Index) loadOrder(name string) []string {
	var post []string
	seen := map[string]bool{name: true}
	var visit func(n string)
	visit = func(n string) {
		for _, d := range ix.Modules[n].Depends {
			if !seen[d] {
				seen[d] = true
				visit(d)
				post = append(post, d)
			}
		}
	}
	visit(name)
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// DepFile renders modules.dep for the selected modules, sorted by path.
func (ix *Index) DepFile(mods []string) []byte {
	sorted := ix.byPath(mods)
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for _, m := range sorted {
		fmt.Fprintf(w, "%s:", m.Path)
		for _, d := range ix.loadOrder(m.Name) {
			fmt.Fprintf(w, " %s", ix.Modules[d].Path)
		}
		fmt.Fprintln(w)
	}
	w.Flush()
	return b.Bytes()
}

// AliasFile renders modules.alias for the selected modules.
func (ix *Index) AliasFile(mods []string) []byte {
	var b bytes.Buffer
	b.WriteString("# Aliases extracted from modules themselves.\n")
	for _, m := range ix.byPath(mods) {
		for _, a := range m.Aliases {
			fmt.Fprintf(&b, "alias %s %s\n", a, m.Name)
		}
	}
	return b.Bytes()
}

func (ix *Index) byPath(mods []string) []*Module {
	out := make([]*Module, 0, len(mods))
	for _, n := range mods {
		if m := ix.Modules[n]; m != nil {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
