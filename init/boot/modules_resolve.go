package boot

import (
	"fmt"
	"sort"
	"strings"
)

// Resolve returns the modules whose alias patterns match a modalias (or any
// alias, such as "fs-vfat"), in modules.alias order without duplicates.
// Only patterns whose literal prefix is a prefix of the alias are tried, so
// a lookup costs len(alias) map probes plus a few fnmatch calls.
func (db *ModuleDB) Resolve(alias string) []string {
	if n, ok := normalizeAlias(alias); ok {
		alias = n
	}
	var hits []aliasEntry
	hits = append(hits, db.exact[alias]...)
	for l := 0; l <= len(alias); l++ {
		for _, e := range db.wild[alias[:l]] {
			if fnmatch(e.pattern, alias) {
				hits = append(hits, e)
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].order < hits[j].order })
	var mods []string
	seen := map[string]bool{}
	for _, e := range hits {
		if !seen[e.module] {
			seen[e.module] = true
			mods = append(mods, e.module)
		}
	}
	return mods
}

// Lookup turns a module name or alias into loadable module names. A name
// built into the kernel yields no modules and no error.
func (db *ModuleDB) Lookup(name string) ([]string, error) {
	n := normalizeModName(name)
	if _, ok := db.paths[n]; ok {
		return []string{n}, nil
	}
	if db.builtin[n] {
		return nil, nil
	}
	var mods []string
	for _, m := range db.Resolve(name) {
		if _, ok := db.paths[m]; ok {
			mods = append(mods, m)
		} else if !db.builtin[m] {
			return nil, fmt.Errorf("modules: alias %q names %s, which is not in modules.dep: %w", name, m, ErrModuleNotFound)
		}
	}
	if len(mods) == 0 && !db.aliasBuiltin(name) {
		return nil, fmt.Errorf("modules: %q: %w", name, ErrModuleNotFound)
	}
	return mods, nil
}

// aliasBuiltin reports whether every module an alias resolves to is built in
// (and at least one matched), which counts as found.
func (db *ModuleDB) aliasBuiltin(name string) bool {
	mods := db.Resolve(name)
	for _, m := range mods {
		if !db.builtin[m] {
			return false
		}
	}
	return len(mods) > 0
}

// Closure returns the modules to load for names, dependencies first, each
// once: a depth-first post-order over modules.dep, as modprobe does.
func (db *ModuleDB) Closure(names ...string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 = visiting, 2 = done
	var visit func(string, []string) error
	visit = func(m string, chain []string) error {
		switch state[m] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("modules: dependency cycle %s → %s", strings.Join(chain, " → "), m)
		}
		if _, ok := db.paths[m]; !ok {
			if db.builtin[m] {
				state[m] = 2
				return nil
			}
			return fmt.Errorf("modules: %s (needed by %s): %w", m, strings.Join(chain, " → "), ErrModuleNotFound)
		}
		state[m] = 1
		for _, d := range db.deps[m] {
			if err := visit(d, append(chain, m)); err != nil {
				return err
			}
		}
		state[m] = 2
		order = append(order, m)
		return nil
	}
	for _, n := range names {
		if err := visit(normalizeModName(n), nil); err != nil {
			return order, err
		}
	}
	return order, nil
}

// Path is the absolute path of a module's .ko file, or "" if unknown.
func (db *ModuleDB) Path(name string) string {
	p, ok := db.paths[normalizeModName(name)]
	if !ok {
		return ""
	}
	if strings.HasPrefix(p, "/") {
		return p
	}
	return db.Dir + "/" + p
}

// Stats describes the index, for logs.
func (db *ModuleDB) Stats() string {
	exact := 0
	for _, v := range db.exact {
		exact += len(v)
	}
	return fmt.Sprintf("%d modules, %d built in, %d aliases (%d wildcard)", len(db.paths), len(db.builtin), exact+db.nWild, db.nWild)
}
