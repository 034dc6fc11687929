// Package vmbed boots the appliance image in QEMU for the VM tests and the
// demo: it builds the image from Debian's packages, writes the example
// seeds into node disks, and runs two VMs whose NICs are tap devices on the
// testbed's data LAN bridge and on an interlink bridge, next to the
// testbed's client and web servers. It reads and types on each VM's serial
// console and drives QEMU's monitor (hard stop, ACPI power button).
//
// QEMU runs with TCG: KVM guests hang on the machines this was built on.
package vmbed
