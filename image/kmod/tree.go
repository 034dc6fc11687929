package kmod

import (
	"os"
	"path"
	"path/filepath"

	"tandem/image/fstree"
)

// AddTo puts the selected modules under prefix (lib/modules/<version>) in t,
// with modules.dep, modules.alias and, when present, modules.builtin and
// modules.order.
func (ix *Index) AddTo(t *fstree.Tree, prefix string, sel *Selection) error {
	for _, n := range sel.Modules {
		m := ix.Modules[n]
		if err := t.AddFile(path.Join(prefix, m.Path), filepath.Join(ix.Dir, m.Path), 0o644); err != nil {
			return err
		}
	}
	if err := t.AddBytes(path.Join(prefix, "modules.dep"), ix.DepFile(sel.Modules), 0o644); err != nil {
		return err
	}
	if err := t.AddBytes(path.Join(prefix, "modules.alias"), ix.AliasFile(sel.Modules), 0o644); err != nil {
		return err
	}
	for _, f := range []string{"modules.builtin", "modules.order"} {
		src := filepath.Join(ix.Dir, f)
		if _, err := os.Stat(src); err == nil {
			if err := t.AddFile(path.Join(prefix, f), src, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
