package boot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ErrModuleNotFound is returned when a name is neither a module, a built-in
// module nor an alias of one.
var ErrModuleNotFound = errors.New("module not found")

// ModuleDB is the parsed module index of one kernel: modules.dep,
// modules.alias, modules.softdep and modules.builtin from
// /lib/modules/VERSION (as written by depmod).
type ModuleDB struct {
	// Dir is the module directory, e.g. /lib/modules/6.1.0-56-cloud-amd64.
	Dir string
	// Insert loads one module file into the kernel. It defaults to
	// InsertModule (finit_module); tests replace it to record the order.
	Insert func(path string) error

	paths   map[string]string   // module name → .ko path relative to Dir
	deps    map[string][]string // module name → direct dependencies (names)
	builtin map[string]bool
	softPre map[string][]string
	softPst map[string][]string

	exact map[string][]aliasEntry // aliases without wildcards
	wild  map[string][]aliasEntry // wildcard aliases keyed by literal prefix
	nWild int

	mu     sync.Mutex
	loaded map[string]error // modules this DB has already tried to load
}

type aliasEntry struct {
	pattern string
	module  string
	order   int // line order in modules.alias, to keep results stable
}

// OpenModules reads the index files in dir. modules.dep is required;
// modules.alias, modules.softdep and modules.builtin are optional.
func OpenModules(dir string) (*ModuleDB, error) {
	db := &ModuleDB{
		Dir: dir, Insert: InsertModule,
		paths: map[string]string{}, deps: map[string][]string{}, builtin: map[string]bool{},
		softPre: map[string][]string{}, softPst: map[string][]string{},
		exact: map[string][]aliasEntry{}, wild: map[string][]aliasEntry{},
		loaded: map[string]error{},
	}
	if err := db.readFile("modules.dep", true, db.parseDep); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name  string
		parse func(io.Reader) error
	}{{"modules.alias", db.parseAlias}, {"modules.softdep", db.parseSoftdep}, {"modules.builtin", db.parseBuiltin}} {
		if err := db.readFile(f.name, false, f.parse); err != nil {
			return nil, err
		}
	}
	return db, nil
}

func (db *ModuleDB) readFile(name string, required bool, parse func(io.Reader) error) error {
	f, err := os.Open(filepath.Join(db.Dir, name))
	if err != nil {
		if !required && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("modules: open %s: %w", name, err)
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return fmt.Errorf("modules: parse %s: %w", f.Name(), err)
	}
	return nil
}

// ModuleName is the kernel's name for a module file: the base name without
// .ko (and any compression suffix), with '-' spelled '_'.
func ModuleName(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

func normalizeModName(s string) string { return strings.ReplaceAll(s, "-", "_") }

func (db *ModuleDB) parseDep(r io.Reader) error {
	return eachLine(r, func(line string) {
		path, rest, ok := strings.Cut(line, ":")
		if !ok {
			return
		}
		name := ModuleName(path)
		db.paths[name] = path
		var deps []string
		for _, d := range strings.Fields(rest) {
			deps = append(deps, ModuleName(d))
		}
		db.deps[name] = deps
	})
}

func (db *ModuleDB) parseAlias(r io.Reader) error {
	order := 0
	return eachLine(r, func(line string) {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "alias" {
			return
		}
		pat, ok := normalizeAlias(f[1])
		if !ok {
			return // kmod's index skips malformed aliases too
		}
		e := aliasEntry{pattern: pat, module: normalizeModName(f[2]), order: order}
		order++
		prefix := literalPrefix(pat)
		if prefix == pat {
			db.exact[pat] = append(db.exact[pat], e)
			return
		}
		db.wild[prefix] = append(db.wild[prefix], e)
		db.nWild++
	})
}

func (db *ModuleDB) parseSoftdep(r io.Reader) error {
	return eachLine(r, func(line string) {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "softdep" {
			return
		}
		name := normalizeModName(f[1])
		mode := ""
		for _, tok := range f[2:] {
			switch {
			case tok == "pre:" || tok == "post:":
				mode = tok
			case mode == "pre:":
				db.softPre[name] = append(db.softPre[name], tok)
			case mode == "post:":
				db.softPst[name] = append(db.softPst[name], tok)
			}
			// Tokens before pre:/post: are ignored, as kmod does.
		}
	})
}

func (db *ModuleDB) parseBuiltin(r io.Reader) error {
	return eachLine(r, func(line string) { db.builtin[ModuleName(line)] = true })
}

func eachLine(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fn(line)
	}
	return sc.Err()
}
