// Package netcfg configures the appliance's network from the seed: it finds
// the links (by MAC or name) and gives them the seed's names, applies MTU,
// static addresses and the default route, waits for carrier, runs a DHCPv4
// client through the whole lease lifecycle, writes resolv.conf and hosts, and
// sets the sysctls a VIP holder needs.
//
// Everything acts on the network namespace of the calling process: PID 1 at
// boot, or `tandem run` started inside a node's namespace.
//
// Ownership of addresses: netcfg tags every address it adds with an address
// protocol (IFA_PROTO, kernel 5.18+): ProtoStatic for seed addresses and
// ProtoDHCP for leases. The tag lives in the kernel, so it survives a restart
// of tandem. Apply removes only addresses carrying its own tag that the seed no
// longer lists; addresses added by anyone else (an operator, the VIP holder)
// are left alone unless the caller asks for PruneForeign, and an Exclude
// function (the VIP) always wins over both.
package netcfg
