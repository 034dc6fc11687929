package pid1

import (
	"os"

	"tandem/init/seed"
)

// CmdlineEnv overrides /proc/cmdline when set, even to "" (tests, containers).
const CmdlineEnv = "TANDEM_CMDLINE"

// StateKey on the kernel command line names a state directory to use
// instead of the TANDEM volume.
const StateKey = "tandem.state"

// kernelCmdline returns the command line PID 1 acts on and where it came from.
func kernelCmdline() (string, string) {
	if v, ok := os.LookupEnv(CmdlineEnv); ok {
		return v, CmdlineEnv
	}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return "", "nowhere (" + err.Error() + ")"
	}
	return string(b), "/proc/cmdline"
}

// cmdlineValue is seed.CmdlineValue, the one parser of the command line.
func cmdlineValue(cmdline, key string) (string, bool) { return seed.CmdlineValue(cmdline, key) }
