package seed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CmdlineKey is the kernel command-line parameter naming the seed.
const CmdlineKey = "tandem.seed"

// CmdlineValue returns the value of key on a kernel command line, honouring
// double quotes as the kernel does; the last occurrence wins.
func CmdlineValue(cmdline, key string) (string, bool) {
	var val string
	found := false
	for _, arg := range splitCmdline(cmdline) {
		k, v, ok := strings.Cut(arg, "=")
		if ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

// splitCmdline splits on spaces outside double quotes and drops the quotes.
func splitCmdline(s string) []string {
	var args []string
	var cur strings.Builder
	inQuote, inArg := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			inArg = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// cmdlineSeed returns tandem.seed= from the kernel command line, or "".
func cmdlineSeed(env DiscoverEnv) (string, error) {
	line := env.Cmdline
	if line == "" {
		data, err := os.ReadFile(env.CmdlinePath)
		if os.IsNotExist(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("seed: read the kernel command line: %w", err)
		}
		line = string(data)
	}
	v, _ := CmdlineValue(line, CmdlineKey)
	return v, nil
}

// cmdlineCandidate resolves tandem.seed=: "fwcfg", "LABEL=<label>" or a
// path to a seed file (with the file it names beside it).
func (env *DiscoverEnv) cmdlineCandidate(v string) (*candidate, error) {
	var cand *candidate
	var err error
	switch {
	case v == "fwcfg":
		cand, err = env.fwCfgCandidate()
	case strings.HasPrefix(v, "LABEL="):
		e := *env
		e.Label = strings.TrimPrefix(v, "LABEL=")
		cand, err = e.volumeCandidate()
	default:
		cand, err = pathCandidate(v)
	}
	if err == nil && cand == nil {
		err = fmt.Errorf("seed: no seed at %s", v)
	}
	if err != nil {
		return nil, err
	}
	cand.source = SourceCmdline + " (" + cand.source + ")"
	return cand, nil
}

func pathCandidate(p string) (*candidate, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("seed: %s: %w", p, err)
	}
	fsys := os.DirFS(filepath.Dir(abs))
	b, err := readBundle(filepath.Base(abs), func(name string) ([]byte, error) { return readFSBounded(fsys, name) })
	if err != nil {
		return nil, fmt.Errorf("seed: %s: %w", abs, err)
	}
	if b == nil {
		return nil, nil
	}
	return &candidate{source: abs, b: b, path: abs}, nil
}
