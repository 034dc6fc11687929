package runtime

import (
	"context"
	"time"

	"tandem/init/control"
	"tandem/init/failover"
)

// The node serves the control socket (control.Runtime).

// Status returns the one Status model.
func (n *node) Status() control.Status { return n.status() }

// Standby hands the VIPs over now and keeps this node standby.
func (n *node) Standby(ctx context.Context) error {
	n.log.Info("operator: standby requested")
	return n.engine.submit(ctx, failover.OperatorStandby{Now: time.Now()})
}

// Online clears standby, bans and fail counts.
func (n *node) Online(ctx context.Context) error {
	n.log.Info("operator: online requested")
	return n.engine.submit(ctx, failover.OperatorOnline{Now: time.Now()})
}

// Reload checks HAProxy's configuration and reloads it seamlessly.
func (n *node) Reload(ctx context.Context) error {
	n.log.Info("operator: HAProxy reload requested")
	return n.haproxy.svc.Reload(ctx)
}

// Logs returns recent log lines.
func (n *node) Logs(lines int) []string { return formatLines(n.ring.Lines(lines)) }
