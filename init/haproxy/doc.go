// Package haproxy runs HAProxy as a supervised service of the appliance.
//
// The operator's haproxy.cfg is loaded unchanged, after a generated
// tandem.cfg (Render) that adds what the appliance needs: the stats socket
// with expose-fd listeners for seamless reloads, logging to our syslog
// socket, the "peers tandem" section that keeps stick tables in sync over
// the interlink, and a health frontend. HAProxy runs in master-worker mode
// in the foreground as our child (through package supervise), so the death
// of the master, or of a worker (which makes the 2.6 master exit), is seen
// the moment it happens. A health probe detects a hung worker, which is
// killed and restarted. Every start and reload is preceded by a config
// check.
package haproxy
