package testbed

import (
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// build creates the namespaces and links and starts the backends. On error
// the caller tears down whatever was made.
func (b *Bed) build() error {
	for _, node := range append([]string{LAN}, b.hosts()...) {
		ns := b.Netns(node)
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			return fmt.Errorf("testbed: ip netns add %s: %w: %s", ns, err, strings.TrimSpace(string(out)))
		}
		b.mu.Lock()
		b.nsMade = append(b.nsMade, ns)
		b.mu.Unlock()
		if _, err := b.ip(node, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	// Snooping off: VRRP and heartbeat multicast must reach every port
	// even though no multicast querier runs on this LAN.
	if _, err := b.ip(LAN, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0"); err != nil {
		return err
	}
	if _, err := b.ip(LAN, "link", "set", "br0", "up"); err != nil {
		return err
	}
	for _, h := range b.hosts() {
		// Both ends are created directly inside their namespaces, so no
		// name is ever taken in the host namespace (other tests run there).
		if err := hostIP("link", "add", "eth0", "netns", b.Netns(h), "type", "veth",
			"peer", "name", h, "netns", b.Netns(LAN)); err != nil {
			return err
		}
		if _, err := b.ip(LAN, "link", "set", h, "master", "br0", "up"); err != nil {
			return err
		}
	}
	if b.opts.VMs {
		if err := b.vmTaps(); err != nil {
			return err
		}
	} else if err := hostIP("link", "add", "eth1", "netns", b.Netns(LB1), "type", "veth",
		"peer", "name", "eth1", "netns", b.Netns(LB2)); err != nil {
		return err
	}
	for _, h := range b.hosts() {
		isLB := h == LB1 || h == LB2
		if !isLB || b.opts.ConfigureLBAddrs {
			if _, err := b.ip(h, "addr", "add", DataAddrs[h].String(), "dev", "eth0"); err != nil {
				return err
			}
		}
		if isLB && b.opts.ConfigureLBAddrs {
			if _, err := b.ip(h, "addr", "add", InterlinkAddrs[h].String(), "dev", "eth1"); err != nil {
				return err
			}
		}
		if _, err := b.ip(h, "link", "set", "eth0", "up"); err != nil {
			return err
		}
		if isLB {
			if _, err := b.ip(h, "link", "set", "eth1", "up"); err != nil {
				return err
			}
		}
	}
	return b.startBackends()
}

// vmTaps makes the interlink bridge br1 and, for lb1 and lb2, a tap on the
// data LAN bridge and one on the interlink bridge, all in the LAN namespace.
func (b *Bed) vmTaps() error {
	if _, err := b.ip(LAN, "link", "add", "br1", "type", "bridge", "stp_state", "0", "mcast_snooping", "0"); err != nil {
		return err
	}
	if _, err := b.ip(LAN, "link", "set", "br1", "up"); err != nil {
		return err
	}
	for _, lb := range []string{LB1, LB2} {
		for tap, br := range map[string]string{DataTap(lb): "br0", LinkTap(lb): "br1"} {
			if _, err := b.ip(LAN, "tuntap", "add", "dev", tap, "mode", "tap"); err != nil {
				return err
			}
			if _, err := b.ip(LAN, "link", "set", tap, "master", br, "up"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Bed) startBackends() error {
	for _, w := range []string{Web1, Web2} {
		if _, err := b.Start(w, b.Bin(progWeb), "-name", w, "-addr", ":80"); err != nil {
			return err
		}
	}
	for _, w := range []string{Web1, Web2} {
		url := "http://" + DataAddrs[w].Addr().String() + "/"
		if err := b.WaitHTTP(url, 10*time.Second); err != nil {
			return fmt.Errorf("testbed: backend %s: %w", w, err)
		}
	}
	return nil
}

func hostIP(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("testbed: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
