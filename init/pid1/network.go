package pid1

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	"tandem/init/boot"
	"tandem/init/netcfg"
	"tandem/init/seed"
)

// CarrierTimeout bounds the wait for carrier on the seed's NICs at boot.
const CarrierTimeout = 10 * time.Second

// Host files PID 1 writes from the seed. On the appliance /etc is the
// initramfs root, which is writable.
const (
	HostsFile      = "/etc/hosts"
	ResolvConfFile = "/etc/resolv.conf"
)

// configureHost applies the seed's host-wide settings: hostname, /etc/hosts
// and /etc/resolv.conf. Each failure is reported; none stops the boot.
func (p *pid1) configureHost(c *seed.Config) {
	p.step("hostname", func() error {
		if err := boot.SetHostname(c.Node.Name); err != nil {
			return err
		}
		p.log.Logf("hostname: %s", c.Node.Name)
		return nil
	})
	p.step("hosts", func() error {
		entries := make([]netcfg.HostEntry, len(c.Hosts))
		for i, h := range c.Hosts {
			entries[i] = netcfg.HostEntry{Addr: h.Address, Names: h.Names}
		}
		if err := netcfg.WriteHosts(HostsFile, c.Node.Name, entries); err != nil {
			return err
		}
		p.log.Logf("hosts: wrote %s (%d entries)", HostsFile, len(entries))
		return nil
	})
	p.step("resolv.conf", func() error {
		servers := seedDNS(c)
		if len(servers) == 0 {
			p.log.Logf("resolv.conf: the seed names no DNS servers; %s left alone", ResolvConfFile)
			return nil
		}
		if err := netcfg.WriteResolvConf(ResolvConfFile, servers, nil); err != nil {
			return err
		}
		p.log.Logf("resolv.conf: wrote %s (%v)", ResolvConfFile, servers)
		return nil
	})
}

// seedDNS is every data interface's DNS servers, in seed order, each once.
func seedDNS(c *seed.Config) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, i := range c.Interfaces {
		for _, a := range i.DNS {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// seedNICs is the seed's interlink and data interfaces, as netcfg sees them.
func seedNICs(c *seed.Config) []netcfg.Interface {
	out := []netcfg.Interface{{Name: c.Interlink.Name, MAC: c.Interlink.MAC}}
	for _, d := range c.Interfaces {
		out = append(out, netcfg.Interface{Name: d.Name, MAC: d.MAC})
	}
	return out
}

// waitCarrier finds the seed's NICs (renaming them as the runtime will),
// brings them up and waits, for all of them at once, at most timeout for
// carrier. It reports each NIC; no carrier is not fatal (the runtime's link
// watch takes over).
func (p *pid1) waitCarrier(ctx context.Context, c *seed.Config, timeout time.Duration) {
	links, err := netcfg.Match(seedNICs(c))
	if err != nil {
		p.log.Logf("carrier: %v", err)
		return
	}
	var wg sync.WaitGroup
	for name, link := range links {
		if err := netlink.LinkSetUp(link); err != nil {
			p.log.Logf("carrier: %s: set up: %v", name, err)
			continue
		}
		wg.Add(1)
		boot.Go("carrier "+name, p.log.Log, func() {
			defer wg.Done()
			up, waited := netcfg.WaitCarrier(ctx, link, timeout)
			if up {
				p.log.Logf("carrier: %s up after %v", name, waited.Round(time.Millisecond))
			} else {
				p.log.Logf("carrier: %s has no carrier after %v; going on", name, waited.Round(time.Millisecond))
			}
		})
	}
	wg.Wait()
}

// errNoSeed is the runtime state before any valid seed.
var errNoSeed = errors.New("no valid seed")

func describe(err error) string {
	if err == nil {
		return "running"
	}
	return fmt.Sprint(err)
}
