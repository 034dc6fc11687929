// Package boot holds what PID 1 owes the system, as small pieces that the
// runtime wires together: a declarative mount table, kernel module coldplug
// without a modprobe binary, sysctls, hostname and loopback, entropy seeding,
// signal handling and orphan reaping, an ordered shutdown with deadlines, a
// hardware watchdog, container detection and panic-safe goroutines.
//
// Nothing here runs on import; every piece is called explicitly, so each can
// be tested on its own (most of them inside throwaway namespaces).
package boot
