package seed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DiscoverEnv is where Discover looks. The zero value (plus StateDir) is
// the real appliance; tests point every field at fakes.
type DiscoverEnv struct {
	// Cmdline is the kernel command line; read from CmdlinePath when empty.
	Cmdline     string
	CmdlinePath string // default /proc/cmdline
	// StateDir is the state directory (PID 1 mounts it). Empty disables
	// persistence and the persisted source.
	StateDir string
	// Devices lists block devices to scan for the seed volume; default
	// BlockDevices. A regular file (a disk image) works as a device.
	Devices func() ([]string, error)
	// Label is the seed volume's label, matched case-insensitively;
	// default "TANDEM".
	Label string
	// FwCfgDir is the qemu_fw_cfg sysfs folder; default
	// /sys/firmware/qemu_fw_cfg.
	FwCfgDir string
	// TempDir holds the copy of a seed read from a volume or fw_cfg while it
	// is validated, and after, when it could not be persisted; default
	// os.TempDir().
	TempDir string
	// Options are passed to Load.
	Options Options
	// Logf, when set, is told what Discover looks at.
	Logf func(format string, args ...any)
}

// Found is the outcome of Discover: the seed to run, where it came from,
// and every seed that was rejected on the way, for the console.
type Found struct {
	// Config is the seed to run; nil when Discover found no valid seed.
	Config *Config
	// Source says where Config came from, for "seed: from <Source>".
	Source string
	// Rejected lists the seeds found invalid, in the order tried.
	Rejected []Rejection
	// Persisted is true when this boot wrote Config to the state directory.
	Persisted bool
	// PersistErr is why Config could not be persisted; the node still runs
	// it, but the next boot will not find it in the state directory.
	PersistErr error
}

// Rejection is a seed that was found but not used.
type Rejection struct {
	Source string
	// Err is a Problems when the seed was invalid, else the read error.
	Err error
}

// ErrNoSeed means no source held a valid seed.
var ErrNoSeed = errors.New("seed: no valid seed found")

// Source names.
const (
	SourceCmdline   = "kernel command line"
	SourcePersisted = "persisted state"
	SourceVolume    = "volume"
	SourceFwCfg     = "QEMU fw_cfg"
)

// candidate is one seed found at a source, not yet validated.
type candidate struct {
	source string // for Found.Source and rejections
	// display prefixes the seed's file name in problems.
	display string
	b       *bundle
	// path, when set, is a seed in a real folder: load it in place.
	path string
}

// Discover finds the seed to run, in this order:
//
//  1. tandem.seed= on the kernel command line: a path to a seed file,
//     "fwcfg", or "LABEL=<label>" (a volume with that label). It wins when
//     valid.
//  2. A new seed offered on the TANDEM volume, else in QEMU fw_cfg: used
//     when it differs from the persisted seed and is valid. An invalid one
//     is rejected and the persisted seed keeps running.
//  3. The persisted seed, <StateDir>/tandem/seed.toml.
//
// The seed that is used is persisted (with the file its haproxy.config_file
// names) when it differs from the persisted one. Found is never nil: when
// err is ErrNoSeed it still lists the rejections.
func Discover(ctx context.Context, env DiscoverEnv) (*Found, error) {
	env.defaults()
	found := &Found{}
	reject := func(source string, err error) {
		env.Logf("seed: rejected %s: %v", source, err)
		found.Rejected = append(found.Rejected, Rejection{Source: source, Err: err})
	}

	var persisted *bundle
	if env.StateDir != "" {
		var err error
		if persisted, err = readPersisted(env.StateDir); err != nil {
			reject(SourcePersisted, err)
		}
	}

	cmd, err := cmdlineSeed(env)
	if err != nil {
		reject(SourceCmdline, err)
	} else if cmd != "" {
		cand, err := env.cmdlineCandidate(cmd)
		if err != nil {
			reject(SourceCmdline+" tandem.seed="+cmd, err)
		} else if env.use(ctx, found, cand, persisted, reject) {
			return found, nil
		}
	}

	for _, offer := range []func() (*candidate, error){env.volumeCandidate, env.fwCfgCandidate} {
		cand, err := offer()
		if err != nil {
			reject("seed volume or fw_cfg", err)
			continue
		}
		if cand == nil {
			continue
		}
		if cand.b.equal(persisted) {
			env.Logf("seed: %s holds the persisted seed", cand.source)
			break
		}
		if env.use(ctx, found, cand, persisted, reject) {
			return found, nil
		}
	}

	if persisted != nil {
		path := PersistedSeedPath(env.StateDir)
		c, err := Load(ctx, path, env.Options)
		if err != nil {
			reject(SourcePersisted+" "+path, err)
		} else {
			found.Config, found.Source = c, SourcePersisted+" "+path
			return found, nil
		}
	}
	return found, ErrNoSeed
}

func (env *DiscoverEnv) defaults() {
	if env.CmdlinePath == "" {
		env.CmdlinePath = "/proc/cmdline"
	}
	if env.Devices == nil {
		env.Devices = BlockDevices
	}
	if env.Label == "" {
		env.Label = "TANDEM"
	}
	if env.FwCfgDir == "" {
		env.FwCfgDir = "/sys/firmware/qemu_fw_cfg"
	}
	if env.TempDir == "" {
		env.TempDir = os.TempDir()
	}
	if env.Logf == nil {
		env.Logf = func(string, ...any) {}
	}
}

// use validates a candidate; when valid it fills found, persists the seed
// and returns true.
func (env *DiscoverEnv) use(ctx context.Context, found *Found, cand *candidate, persisted *bundle, reject func(string, error)) bool {
	var c *Config
	var stage string
	var err error
	if cand.path != "" {
		c, err = Load(ctx, cand.path, env.Options)
	} else {
		c, stage, err = cand.b.validate(ctx, env.TempDir, cand.display, env.Options)
	}
	if err != nil {
		reject(cand.source, err)
		return false
	}
	found.Config, found.Source = c, cand.source
	switch {
	case env.StateDir == "":
	case cand.b.equal(persisted):
	case cand.b.ref != "" && !localRef(cand.b.ref):
		found.PersistErr = fmt.Errorf("seed: not persisted: haproxy.config_file %q is not next to the seed", cand.b.ref)
	default:
		if err := persist(env.StateDir, cand.b); err != nil {
			found.PersistErr = err
			break
		}
		found.Persisted = true
		if stage != "" {
			// Point the config at the lasting copy, and drop the staged one.
			dir := filepath.Join(env.StateDir, PersistDir)
			c.Source = filepath.Join(dir, SeedFile)
			if c.HAProxy.File != "" {
				c.HAProxy.File = filepath.Join(dir, filepath.FromSlash(path.Clean(cand.b.ref)))
			}
			os.RemoveAll(stage)
		}
	}
	if found.PersistErr != nil {
		env.Logf("%v", found.PersistErr)
	}
	return true
}

// Report is the console text for a discovery: where the seed came from, a
// one-line summary, and every rejected seed with its problems.
func (f *Found) Report() string {
	if f == nil {
		return "seed: discovery has not run\n"
	}
	var b strings.Builder
	if f.Config != nil {
		c := f.Config
		fmt.Fprintf(&b, "seed: from %s\n", f.Source)
		fmt.Fprintf(&b, "  node %s in cluster %s, %d VIP(s), %d data interface(s), failover profile %s\n",
			c.Node.Name, c.Node.Cluster, len(c.VIPs), len(c.Interfaces), c.Failover.Profile)
	} else {
		b.WriteString("seed: none found; the node cannot run the load balancer\n")
	}
	if f.PersistErr != nil {
		fmt.Fprintf(&b, "seed: %v\n", f.PersistErr)
	}
	for _, r := range f.Rejected {
		fmt.Fprintf(&b, "seed: rejected %s:\n", r.Source)
		for _, line := range strings.Split(strings.TrimRight(r.Err.Error(), "\n"), "\n") {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	return b.String()
}
