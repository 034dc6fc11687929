// Package vm holds the VM tests: the real appliance image, with tandem as
// PID 1, booted in QEMU (UEFI disk and kernel+initramfs), as a pair on a
// data LAN and an interlink, with a client reaching the VIP.
package vm
