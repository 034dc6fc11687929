// Package supervise runs long-lived child processes for the appliance: it
// restarts them with exponential backoff, reports every start and exit at
// once on a channel, stops them gracefully with escalation, and keeps their
// output (and HAProxy's syslog) in a bounded in-memory log ring that views
// such as `tandem logs -f` can read and follow.
package supervise
