package netcfg

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// LeaseState is what happened to a DHCP lease.
type LeaseState int

// Lease states reported by DHCP.Run.
const (
	Bound   LeaseState = iota + 1 // a new lease, after DISCOVER/OFFER/REQUEST/ACK
	Renewed                       // extended by the leasing server (unicast, from T1)
	Rebound                       // extended by any server (broadcast, from T2)
	Expired                       // lost: expired, or refused with a NAK; address removed
)

func (s LeaseState) String() string {
	switch s {
	case Bound:
		return "bound"
	case Renewed:
		return "renewed"
	case Rebound:
		return "rebound"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("LeaseState(%d)", int(s))
}

// Lease is one DHCP event. Durations are the effective ones, after
// DHCPOptions.TimeScale.
type Lease struct {
	State     LeaseState
	Link      string
	Addr      netip.Prefix // the leased address with the subnet's prefix length
	Server    netip.Addr   // server identifier
	Routers   []netip.Addr
	DNS       []netip.Addr
	Search    []string // domain search list (option 119), else the domain name (15)
	LeaseTime time.Duration
	T1, T2    time.Duration
	Start     time.Time // when the request that got this lease was sent
	Reason    string    // why an Expired lease was lost
}

// infiniteLease is the lease time 0xffffffff seconds (RFC 2131: infinite).
const infiniteLease = time.Duration(0xffffffff) * time.Second

// binding is a lease in force: the event data plus what renewal needs.
type binding struct {
	Lease
	ack      *dhcpv4.DHCPv4
	infinite bool
}

func (b *binding) t1() time.Time     { return b.Start.Add(b.T1) }
func (b *binding) t2() time.Time     { return b.Start.Add(b.T2) }
func (b *binding) expiry() time.Time { return b.Start.Add(b.LeaseTime) }

// parseAck turns an ACK into a binding. start is when the request was sent:
// lease times count from then (RFC 2131 4.4.1), which errs on the safe side.
func parseAck(link string, ack *dhcpv4.DHCPv4, start time.Time, scale float64) (*binding, error) {
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || !ip.IsGlobalUnicast() {
		return nil, fmt.Errorf("netcfg: dhcp on %s: ACK without a usable address (%v)", link, ack.YourIPAddr)
	}
	mask := ack.SubnetMask()
	if mask == nil {
		// RFC 2131 leaves a missing mask to the client; the classless
		// answer that always works is a host address.
		mask = net.CIDRMask(32, 32)
	}
	ones, bits := mask.Size()
	if bits != 32 {
		return nil, fmt.Errorf("netcfg: dhcp on %s: bad subnet mask %v", link, mask)
	}
	server, ok := netip.AddrFromSlice(ack.ServerIdentifier().To4())
	if !ok {
		return nil, fmt.Errorf("netcfg: dhcp on %s: ACK without server identifier", link)
	}
	b := &binding{ack: ack}
	b.Link = link
	b.Addr = netip.PrefixFrom(ip, ones)
	b.Server = server
	b.Start = start
	for _, r := range ack.Router() {
		if a, ok := netip.AddrFromSlice(r.To4()); ok && a.IsValid() && !a.IsUnspecified() {
			b.Routers = append(b.Routers, a)
		}
	}
	for _, r := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(r.To4()); ok && a.IsValid() && !a.IsUnspecified() {
			b.DNS = append(b.DNS, a)
		}
	}
	if l := ack.DomainSearch(); l != nil {
		b.Search = append(b.Search, l.Labels...)
	} else if d := ack.DomainName(); d != "" {
		b.Search = []string{d}
	}

	lt := ack.IPAddressLeaseTime(0)
	if lt <= 0 {
		return nil, fmt.Errorf("netcfg: dhcp on %s: ACK without lease time", link)
	}
	if lt >= infiniteLease {
		b.infinite = true
		b.LeaseTime = infiniteLease
		return b, nil
	}
	t1 := ack.IPAddressRenewalTime(lt / 2)
	t2 := ack.IPAddressRebindingTime(lt * 7 / 8)
	// Keep 0 < T1 <= T2 <= lease whatever the server sent.
	if t2 <= 0 || t2 > lt {
		t2 = lt * 7 / 8
	}
	if t1 <= 0 || t1 > t2 {
		t1 = min(lt/2, t2)
	}
	b.LeaseTime, b.T1, b.T2 = scaleDur(lt, scale), scaleDur(t1, scale), scaleDur(t2, scale)
	return b, nil
}

func scaleDur(d time.Duration, scale float64) time.Duration {
	return time.Duration(float64(d) * scale)
}
