package failover

// Config is the per-node configuration. Node names and Preferred must be the
// same strings on every node, since the tie-breaks compare them.
type Config struct {
	// Node is this node's name.
	Node string
	// Preferred optionally names the node that wins ties (and, with Failback,
	// takes the VIP back). Empty: the lower node name wins ties.
	Preferred string
	// Failback lets Preferred take the VIP back from a healthy holder. Off by
	// default, like Pacemaker's resource-stickiness=INFINITY.
	Failback bool
	// MigrationThreshold: HAProxy failures before the node is banned
	// (Pacemaker's migration-threshold). Values below 1 mean 1.
	MigrationThreshold int
	// Incarnation identifies this run of the node; it must grow every time the
	// node restarts. Zero means "derive from the start time" (nanoseconds).
	Incarnation uint64
	// Timing; zero fields get defaults derived from Interval and DeadAfter.
	Timing Timing
}
