// Package pid1 is tandem as the first process of the appliance: it wires
// the boot duties (init/boot), seed discovery (init/seed), the host's
// network files (init/netcfg), the serial console (init/console) and the
// appliance runtime (init/runtime, the same one `tandem run` starts) into
// one PID 1 that never exits on its own.
//
// Boot order: the mount table (tolerating what is mounted), /dev/ptmx,
// console and logging (kernel-style lines on the console and in the log
// ring, /dev/log into the ring), signals and the orphan reaper, container
// detection, kernel modules, the hardware watchdog, the TANDEM state
// volume, the entropy seed, seed discovery, hostname and /etc files,
// carrier, the runtime, and the console prompt. With no valid seed it
// stays up, says why, and looks again every 10 s.
//
// Shutdown (SIGTERM/SIGINT reboot, SIGUSR1 halt, SIGUSR2/SIGPWR power off,
// or the console): the runtime hands the VIPs over, leaves the cluster and
// stops HAProxy first; then every other process is killed, file systems are
// synced and unmounted, and the machine reboots, halts or powers off. In a
// container, or any PID namespace but the initial one, it exits with status
// 0 instead of calling reboot(2).
//
// The kernel command line is read from /proc/cmdline, or from the
// environment variable TANDEM_CMDLINE when it is set (even to ""): tests
// and containers use it to pass tandem.seed=. Parameters read here:
//
//	tandem.seed=PATH|fwcfg|LABEL=L   where the seed is (see seed.Discover)
//	tandem.state=DIR                 keep state in DIR instead of the
//	                                 TANDEM volume (containers: a volume)
//
// Run it in a PID namespace as
//
//	unshare --pid --fork --mount-proc --mount --uts env TANDEM_CMDLINE=tandem.seed=/seed.toml tandem
//
// --uts keeps the seed's hostname from renaming the host, and --mount keeps
// its mounts in its own namespace.
package pid1
