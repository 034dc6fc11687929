package haproxy

import (
	"fmt"
	"time"
)

// EventKind says what happened to HAProxy.
type EventKind int

const (
	// Up: HAProxy answers its health endpoint (Took: since the start).
	Up EventKind = iota + 1
	// Down: the master exited or could not start; a restart follows.
	Down
	// Hung: the health probe failed repeatedly; HAProxy is being killed.
	Hung
	// Reloaded: a reload finished and the new worker serves (Took).
	Reloaded
	// ConfigError: the configuration check failed (before a start or a
	// reload); Reason holds HAProxy's messages.
	ConfigError
)

func (k EventKind) String() string {
	switch k {
	case Up:
		return "up"
	case Down:
		return "down"
	case Hung:
		return "hung"
	case Reloaded:
		return "reloaded"
	case ConfigError:
		return "config-error"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports a change of the HAProxy service to the runtime.
type Event struct {
	Kind   EventKind
	Reason string
	At     time.Time
	Took   time.Duration // Up: start to ready; Reloaded: reload duration
}

func (e Event) String() string {
	s := e.Kind.String()
	if e.Took > 0 {
		s += " in " + e.Took.String()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// States reported in Status.State.
const (
	StateStarting    = "starting"
	StateReady       = "ready"
	StateDown        = "down"
	StateHung        = "hung"
	StateConfigError = "config-error"
	StateStopped     = "stopped"
)

// Status is a snapshot of the service for the Status model.
type Status struct {
	State      string
	PID        int   // master
	WorkerPIDs []int // children of the master (current and draining)
	Version    string
	ReadySince time.Time
	Restarts   int
	LastError  string
}
