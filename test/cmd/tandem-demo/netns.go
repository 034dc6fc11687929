package main

import (
	"fmt"
	"time"

	"tandem/test/cluster"
	"tandem/test/testbed"
)

// runNetns is the pair as two `tandem run` nodes in network namespaces
// with the real HAProxy, a client and two web servers: no image, no VM.
// It shows status, kills the active node, shows the client still served,
// brings the node back, and moves the VIP back with a planned standby.
func runNetns() error {
	if err := testbed.Usable(); err != nil {
		return err
	}
	step("Build the testbed: client, lb1, lb2, web1, web2 in network namespaces; data LAN 192.168.10.0/24 on a bridge, interlink 10.1.1.0/24")
	bed, err := testbed.New(nil, testbed.Options{})
	if err != nil {
		return err
	}
	defer func() {
		step("Tear down: every process and namespace removed")
		_ = bed.Close()
	}()
	step("Start `tandem run` on lb1 (configs/haproxy1.toml) and lb2 (configs/haproxy2.toml) at the same moment")
	p, err := cluster.Start(bed, cluster.Options{})
	if err != nil {
		return err
	}
	t0 := time.Now()
	active, err := p.WaitHolder("", 15*time.Second)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, p.Logs())
	}
	fmt.Printf("%s holds the VIP 192.168.10.80, %s after start\n", active, time.Since(t0).Round(time.Millisecond))
	if err := bed.WaitHTTP(testbed.VIPURL, 10*time.Second); err != nil {
		return err
	}
	for range 4 {
		body, err := bed.Get(testbed.VIPURL, time.Second)
		if err != nil {
			return err
		}
		fmt.Printf("client: GET http://192.168.10.80/ -> %s", body)
	}
	if _, err := p.WaitStatus(active, 10*time.Second, func(s statusT) bool { return len(s.Nodes) == 2 && s.Nodes[1].Online }); err != nil {
		return err
	}
	if err := show(p, active); err != nil {
		return err
	}

	other := cluster.Other(active)
	step("Kill %s hard (kill -9 tandem and HAProxy, links down) while the client probes every 10 ms", active)
	probe, err := bed.StartProbe(testbed.VIPURL)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	fault := time.Now()
	if _, err := bed.KillHard(active); err != nil {
		return err
	}
	if _, err := p.WaitHolder(other, 10*time.Second); err != nil {
		return err
	}
	time.Sleep(time.Second)
	res, err := probe.Stop()
	if err != nil {
		return err
	}
	fmt.Printf("%s took the VIP; the client saw an outage of %s (%d requests, %d failed while it moved)\n",
		other, res.GapAround(fault).Round(time.Millisecond), res.Total, res.Failed)
	body, err := bed.Get(testbed.VIPURL, time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("client: GET http://192.168.10.80/ -> %s", body)
	if err := show(p, other); err != nil {
		return err
	}

	step("Bring %s back: it rejoins as standby (no failback)", active)
	if err := bed.Revive(active); err != nil {
		return err
	}
	if err := p.StartNode(active); err != nil {
		return err
	}
	if _, err := p.WaitStatus(active, 15*time.Second, func(s statusT) bool { return len(s.Nodes) == 2 && s.Nodes[1].Online }); err != nil {
		return err
	}
	time.Sleep(time.Second)
	fmt.Printf("the VIP is still on %s\n", p.Holder())

	step("`tandem standby` on %s: a planned move back, while the client probes", other)
	probe, err = bed.StartProbe(testbed.VIPURL)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	out, err := p.Run(other, "standby")
	fmt.Print(out)
	if err != nil {
		return err
	}
	if _, err := p.WaitHolder(active, 10*time.Second); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	res, err = probe.Stop()
	if err != nil {
		return err
	}
	fmt.Printf("the VIP is on %s again: %d requests, %d failed\n", p.Holder(), res.Total, res.Failed)
	return show(p, active)
}

func show(p *cluster.Pair, node string) error {
	step("tandem status on %s", node)
	out, err := p.Run(node, "status")
	fmt.Print(out)
	return err
}
