package seed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// MaxSize bounds a seed file, and an HAProxy file it names.
const MaxSize = 1 << 20

// Options tune Load.
type Options struct {
	// CheckHAProxy, when set, checks the HAProxy configuration of an
	// otherwise valid seed (tandem runs `haproxy -c` with its generated
	// sections). Its error text becomes one problem.
	CheckHAProxy func(ctx context.Context, c *Config) error
}

// Load reads, parses and validates the seed at path. On failure the error
// is a Problems listing everything wrong, each with file, line and key.
func Load(ctx context.Context, path string, opts Options) (*Config, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, Problems{{File: path, Line: 1, Col: 1, Msg: err.Error()}}
	}
	return Parse(ctx, path, data, opts)
}

// Parse is Load on a seed already in memory; path names it in problems and
// anchors a relative haproxy.config_file.
func Parse(ctx context.Context, path string, data []byte, opts Options) (*Config, error) {
	r := &reader{file: path}
	var root map[string]any
	if _, err := toml.Decode(string(data), &root); err != nil {
		return nil, syntaxProblem(path, err)
	}
	r.pos = indexPositions(string(data))
	c := &Config{Source: path, pos: r.pos}
	r.config(root, c)
	r.validate(c)
	r.loadHAProxy(c, filepath.Dir(path))
	if len(r.problems) == 0 && opts.CheckHAProxy != nil {
		if err := opts.CheckHAProxy(ctx, c); err != nil {
			key := "config"
			if c.HAProxy.File != "" {
				key = "config_file"
			}
			r.add([]string{"haproxy", key}, "HAProxy rejects the configuration: %v", err)
		}
	}
	if len(r.problems) > 0 {
		return nil, r.problems.sorted()
	}
	return c, nil
}

func syntaxProblem(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// The parser reports some errors (an unterminated string at the
		// end of the input) at line 0; an operator needs a real place.
		return Problems{{File: path, Line: max(pe.Position.Line, 1), Col: max(pe.Position.Col, 1),
			Key: pe.LastKey, Msg: "TOML syntax: " + pe.Message}}
	}
	return Problems{{File: path, Line: 1, Col: 1, Msg: "TOML syntax: " + err.Error()}}
}

// loadHAProxy reads haproxy.config_file, relative to the seed's folder.
func (r *reader) loadHAProxy(c *Config, dir string) {
	if c.HAProxy.File == "" || c.HAProxy.Config != "" {
		return
	}
	path := c.HAProxy.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	data, err := readBounded(path)
	if err != nil {
		r.add([]string{"haproxy", "config_file"}, "cannot read the HAProxy configuration: %v", err)
		return
	}
	c.HAProxy.File = path
	c.HAProxy.Config = string(data)
	if len(data) == 0 {
		r.add([]string{"haproxy", "config_file"}, "%s is empty; want an HAProxy configuration", path)
	}
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", path, st.Size(), MaxSize)
	}
	return os.ReadFile(path)
}
