package seed

import (
	"fmt"
	"os"
	"path/filepath"
)

// FwCfgPrefix is the fw_cfg folder of the seed: QEMU is given
// -fw_cfg name=opt/tandem/seed.toml,file=... (and opt/tandem/haproxy.cfg,
// or whatever haproxy.config_file names). The qemu_fw_cfg module must be
// loaded.
const FwCfgPrefix = "opt/tandem"

// fwCfgCandidate reads the seed from QEMU fw_cfg; nil when there is none.
func (env *DiscoverEnv) fwCfgCandidate() (*candidate, error) {
	base := filepath.Join(env.FwCfgDir, "by_name", filepath.FromSlash(FwCfgPrefix))
	fsys := os.DirFS(base)
	b, err := readBundle(SeedFile, func(name string) ([]byte, error) {
		return readFSBounded(fsys, name+"/raw")
	})
	if err != nil {
		return nil, fmt.Errorf("seed: fw_cfg: %w", err)
	}
	if b == nil {
		return nil, nil
	}
	env.Logf("seed: found a seed in fw_cfg %s", FwCfgPrefix)
	return &candidate{source: SourceFwCfg, display: "fw_cfg:" + FwCfgPrefix + "/", b: b}, nil
}
