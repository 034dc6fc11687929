package seed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"tandem/init/seed"
)

// FuzzParse feeds arbitrary text to the parser and validator: they must
// never panic, and a failure must always be a non-empty Problems list.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"haproxy1.toml", "haproxy2.toml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[node]\nname = 1\n[[vip]]\naddress = [\"x\"]\n"))
	f.Add([]byte("interlink = { address = \"10.1.1.1/24\", peers = [\n\"10.1.1.2\"] }\n"))
	f.Add([]byte("[haproxy]\nconfig = '''\nglobal\n'''\n[[hosts]]\nnames = [\"a\"]"))
	f.Add([]byte("[[interface]]\n[[interface]]\nname='eth0'\n[[interface.x]]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := seed.Parse(context.Background(), filepath.Join(dir, "seed.toml"), data, seed.Options{})
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			_ = seed.CheckPair(c, c)
			return
		}
		var ps seed.Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %v is not a non-empty Problems", err)
		}
		for _, p := range ps {
			if p.Line < 1 || p.Col < 1 {
				t.Fatalf("problem %q has no position", p)
			}
		}
	})
}
