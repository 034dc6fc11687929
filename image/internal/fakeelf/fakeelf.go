// Package fakeelf makes minimal ELF64 files for tests: a relocatable object
// with only a .modinfo section, which is all a kernel module index reads.
package fakeelf

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Module returns a fake kernel module whose .modinfo holds the given
// "key=value" strings.
func Module(modinfo ...string) []byte {
	info := []byte(strings.Join(modinfo, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	infoOff := uint64(ehsize)
	strOff := infoOff + uint64(len(info))
	shOff := (strOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	w(uint16(1))  // ET_REL
	w(uint16(62)) // EM_X86_64
	w(uint32(1))
	w(uint64(0)) // entry
	w(uint64(0)) // phoff
	w(shOff)
	w(uint32(0))
	w(uint16(ehsize))
	w(uint16(0))
	w(uint16(0))
	w(uint16(shentsize))
	w(uint16(3)) // shnum
	w(uint16(2)) // shstrndx
	b.Write(info)
	b.Write(shstr)
	b.Write(make([]byte, shOff-uint64(b.Len())))
	sh := func(name, typ uint32, off, size uint64) {
		w(name)
		w(typ)
		w(uint64(0)) // flags
		w(uint64(0)) // addr
		w(off)
		w(size)
		w(uint32(0))
		w(uint32(0))
		w(uint64(1))
		w(uint64(0))
	}
	sh(0, 0, 0, 0)
	sh(1, 1, infoOff, uint64(len(info)))  // .modinfo, PROGBITS
	sh(10, 3, strOff, uint64(len(shstr))) // .shstrtab, STRTAB
	return b.Bytes()
}
