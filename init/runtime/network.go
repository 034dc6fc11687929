package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"

	"tandem/init/netcfg"
	"tandem/init/seed"
)

// netInterfaces turns the seed's interlink and data interfaces into
// netcfg's terms, interlink first.
func netInterfaces(c *seed.Config) []netcfg.Interface {
	out := []netcfg.Interface{{
		Name:      c.Interlink.Name,
		MAC:       c.Interlink.MAC,
		Addresses: []netip.Prefix{c.Interlink.Address},
		MTU:       c.Interlink.MTU,
	}}
	for _, d := range c.Interfaces {
		out = append(out, netcfg.Interface{
			Name: d.Name, MAC: d.MAC, Addresses: d.Addresses, DHCP: d.DHCP,
			Gateway: d.Gateway, MTU: d.MTU, DNS: d.DNS,
		})
	}
	return out
}

// vipLinks lists the interfaces that carry VIPs, each once.
func vipLinks(c *seed.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range c.VIPs {
		if !seen[v.Interface] {
			seen[v.Interface] = true
			out = append(out, v.Interface)
		}
	}
	return out
}

// setupNetwork applies the load-balancer sysctls and the seed's static
// addressing, and starts DHCP clients where the seed asks for them. It
// returns the links by seed name, and stop, which ends the DHCP clients and
// waits for them. On error no DHCP client is left running. The addresses
// and sysctls stay: a retry applies them again.
func setupNetwork(ctx context.Context, c *seed.Config, log *slog.Logger, isVIP func(netip.Prefix) bool) (links map[string]netlink.Link, stop func(), err error) {
	ifaces := netInterfaces(c)
	links, err = netcfg.Match(ifaces)
	if err != nil {
		return nil, nil, fmt.Errorf("network: %w", err)
	}
	// Sysctls after Match: a rename must not leave per-link keys on an old
	// name.
	if err := netcfg.ApplyLBSysctls(vipLinks(c)); err != nil {
		return nil, nil, fmt.Errorf("network: sysctls: %w", err)
	}
	dctx, cancel := context.WithCancel(ctx)
	var dhcp sync.WaitGroup
	stop = func() {
		cancel()
		dhcp.Wait()
	}
	for _, i := range ifaces {
		link := links[i.Name]
		if err := netcfg.Apply(ctx, i, link, netcfg.WithExclude(isVIP)); err != nil {
			stop()
			return nil, nil, fmt.Errorf("network: %s: %w", i.Name, err)
		}
		log.Info("network: interface configured", "name", i.Name, "mac", link.Attrs().HardwareAddr.String(),
			"addresses", fmt.Sprint(i.Addresses), "dhcp", i.DHCP)
		if i.DHCP {
			startDHCP(dctx, link, log, &dhcp)
		}
	}
	return links, stop, nil
}

// startDHCP runs a DHCP client on link until ctx ends, logging its leases;
// wg counts its goroutines.
func startDHCP(ctx context.Context, link netlink.Link, log *slog.Logger, wg *sync.WaitGroup) {
	events := make(chan netcfg.Lease, 4)
	d := &netcfg.DHCP{Link: link, Events: events, Options: netcfg.DHCPOptions{
		Logf: func(format string, args ...any) { log.Info("dhcp: " + fmt.Sprintf(format, args...)) },
	}}
	wg.Add(2)
	goSafe(log, "dhcp "+link.Attrs().Name, func() {
		defer wg.Done()
		// Run returns only when ctx ends (it retries with backoff).
		err := d.Run(ctx)
		log.Info("dhcp: client stopped", "link", link.Attrs().Name, "reason", err.Error())
	})
	goSafe(log, "dhcp events "+link.Attrs().Name, func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case l := <-events:
				log.Info("dhcp: lease "+l.State.String(), "link", l.Link, "addr", l.Addr.String(), "server", l.Server.String())
			}
		}
	})
}

// macsOf returns the hardware addresses of the named links, for telling the
// peer which MACs are ours.
func macsOf(links map[string]netlink.Link, names []string) []net.HardwareAddr {
	var out []net.HardwareAddr
	for _, n := range names {
		if l, ok := links[n]; ok {
			out = append(out, l.Attrs().HardwareAddr)
		}
	}
	return out
}
