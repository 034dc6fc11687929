// Package testbed builds the product's example topology out of network
// namespaces so cluster tests and benchmarks can run real nodes, a real
// client and real backends on one machine:
//
//	client 192.168.10.50 ─┐
//	lb1    192.168.10.81 ─┤            lb1:eth1 10.1.1.1/24
//	lb2    192.168.10.82 ─┼─ lan (br0)      │ interlink veth
//	web1   192.168.10.91 ─┤            lb2:eth1 10.1.1.2/24
//	web2   192.168.10.92 ─┘
//
// Every host's eth0 is a veth whose other end is a port of the bridge in the
// "lan" namespace. Nothing is connected to the host namespace. The VIP
// (192.168.10.80) is left to the appliance under test.
//
// A Bed also offers the faults the cluster tests inject (KillHard, LinkDown,
// CutInterlink, InterlinkLoss, BusyCPU), a client prober that measures the
// outage a client sees, and small statistics/table helpers for benchmarks.
package testbed
