// Package pid1 tests the real tandem binary as PID 1 of a new PID and mount
// namespace (unshare --pid --fork --mount-proc --mount --uts) inside a node
// of the namespace testbed: boot to HAProxy ready, orphan reaping, the
// ordered shutdown on SIGTERM with exit status 0, a missing or broken seed,
// and a graceful handover to a `tandem run` peer. The tests need root.
package pid1
