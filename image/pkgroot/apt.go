package pkgroot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"tandem/init/reap"
)

// follow decides which dependency edges matter for the image: shared
// libraries (the ELF closure picks the files actually used) and the concrete
// kernel behind the linux-image metapackage. Tools like adduser or perl that
// maintainer scripts need are not part of the appliance.
func follow(pkg string) bool {
	return strings.HasPrefix(pkg, "lib") || strings.HasPrefix(pkg, "linux-image-")
}

// Resolve returns roots plus their Depends/PreDepends closure restricted by
// follow, using the host's apt metadata (no network).
func Resolve(ctx context.Context, roots []string) ([]string, error) {
	args := append([]string{"depends", "--recurse", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"}, roots...)
	cmd := exec.CommandContext(ctx, "apt-cache", args...)
	out, err := reap.Output(cmd)
	if err != nil {
		return nil, fmt.Errorf("pkgroot: apt-cache depends: %w", err)
	}
	graph := ParseDepends(out)
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, d := range graph[p] {
			if follow(d) {
				visit(d)
			}
		}
	}
	for _, r := range roots {
		if _, ok := graph[r]; !ok {
			return nil, fmt.Errorf("pkgroot: apt knows no package %q (apt-get update?)", r)
		}
		visit(r)
	}
	out2 := make([]string, 0, len(seen))
	for p := range seen {
		out2 = append(out2, p)
	}
	sort.Strings(out2)
	return out2, nil
}

// ParseDepends reads `apt-cache depends --recurse` output into package →
// hard dependencies. Of an alternative group (" |Depends: a" followed by
// "  Depends: b") only the first is kept; virtual packages (<name>) and
// provider lists (deeper indentation) are skipped.
func ParseDepends(out []byte) map[string][]string {
	g := map[string][]string{}
	cur := ""
	skipNext := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case !strings.HasPrefix(line, " "):
			cur = strings.TrimSpace(line)
			if strings.HasPrefix(cur, "<") {
				cur = ""
				continue
			}
			if _, ok := g[cur]; !ok {
				g[cur] = nil
			}
			skipNext = false
		case strings.HasPrefix(line, "    "):
			// provider of a virtual dependency
		default:
			alt := strings.HasPrefix(line, " |")
			kind, name, ok := strings.Cut(strings.TrimLeft(line, " |"), ": ")
			if !ok || cur == "" || (kind != "Depends" && kind != "PreDepends") {
				continue
			}
			if skipNext {
				skipNext = alt
				continue
			}
			skipNext = alt
			name = strings.TrimSpace(name)
			if strings.HasPrefix(name, "<") {
				continue
			}
			name, _, _ = strings.Cut(name, ":") // perl:any
			g[cur] = append(g[cur], name)
		}
	}
	return g
}

// download fetches the named packages into dir with apt-get download.
func download(ctx context.Context, dir string, pkgs []string) error {
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"download", "-q"}, pkgs...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := reap.Run(cmd); err != nil {
		return fmt.Errorf("pkgroot: apt-get download: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
