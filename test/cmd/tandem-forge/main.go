// Command tandem-forge sends forged heartbeats for scenario J: well-formed
// heartbeats signed with a wrong key that claim to come from a cluster
// node, and garbage datagrams, to the given addresses' heartbeat port.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"tandem/init/heartbeat"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tandem-forge:", err)
		os.Exit(1)
	}
}

func run() error {
	local := flag.String("local", "", "this host's address")
	to := flag.String("to", "", "comma-separated target addresses")
	cluster := flag.String("cluster", "HAcluster", "cluster name to claim")
	node := flag.String("node", "haproxy1", "node name to claim")
	dur := flag.Duration("for", 2*time.Second, "how long to send")
	flag.Parse()
	var peers []netip.Addr
	for _, s := range strings.Split(*to, ",") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return err
		}
		peers = append(peers, a)
	}
	la, err := netip.ParseAddr(*local)
	if err != nil {
		return err
	}
	// Garbage first: short, long and random-looking datagrams.
	for _, p := range peers {
		c, err := net.Dial("udp", netip.AddrPortFrom(p, heartbeat.DefaultPort).String())
		if err != nil {
			return err
		}
		for i := range 100 {
			_, _ = c.Write([]byte(strings.Repeat("x", i*7)))
		}
		c.Close()
	}
	// Then authentic-looking heartbeats with the wrong key, claiming to be
	// a cluster node that holds the VIP.
	ch, err := heartbeat.New(heartbeat.Config{
		Cluster: *cluster, Node: *node, Key: []byte("not the cluster's key, but long enough"),
		Interval: 5 * time.Millisecond,
		Paths:    []heartbeat.Path{{Name: "lan", Local: la, Peers: peers}},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	payload := []byte(`{"s":{"Node":"` + *node + `","Incarnation":18446744073709551615,"Version":1,"Holds":true,"Eligible":true}}`)
	err = ch.Run(ctx, func() []byte { return payload })
	if err != nil && ctx.Err() == nil {
		return err
	}
	fmt.Println("sent forged heartbeats for", *dur)
	return nil
}
