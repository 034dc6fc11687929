package fat

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

const sfnSpecial = "$%'-_@~`!(){}^#&"

func validSFNChar(r rune) bool {
	return (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || strings.ContainsRune(sfnSpecial, r)
}

// plainSFN returns the 11-byte short name if name is already a valid
// upper-case 8.3 name (then no long-name entries are needed).
func plainSFN(name string) ([11]byte, bool) {
	var out [11]byte
	base, ext, hasDot := strings.Cut(name, ".")
	if name == "" || len(base) < 1 || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") || (hasDot && ext == "") {
		return out, false
	}
	for _, r := range base + ext {
		if !validSFNChar(r) {
			return out, false
		}
	}
	copy(out[:], fmt.Sprintf("%-8s%-3s", base, ext))
	return out, true
}

func cleanSFNPart(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == ' ' || r == '.' {
			continue
		}
		if !validSFNChar(r) {
			r = '_'
		}
		b.WriteRune(r)
		if b.Len() >= n {
			break
		}
	}
	return b.String()
}

// shortAlias generates a unique "BASIS~N.EXT" alias for a long name.
func shortAlias(name string, used map[[11]byte]bool) ([11]byte, error) {
	trimmed := strings.TrimLeft(name, ". ")
	base, ext := trimmed, ""
	if i := strings.LastIndex(trimmed, "."); i > 0 {
		base, ext = trimmed[:i], trimmed[i+1:]
	}
	b := cleanSFNPart(base, 8)
	if b == "" {
		b = "_"
	}
	e := cleanSFNPart(ext, 3)
	for n := 1; n < 1000000; n++ {
		tail := fmt.Sprintf("~%d", n)
		bb := b
		if len(bb)+len(tail) > 8 {
			bb = bb[:8-len(tail)]
		}
		var out [11]byte
		copy(out[:], fmt.Sprintf("%-8s%-3s", bb+tail, e))
		if !used[out] {
			return out, nil
		}
	}
	return [11]byte{}, fmt.Errorf("fat: no short name left for %q", name)
}

func sfnChecksum(s [11]byte) byte {
	var sum byte
	for _, c := range s {
		sum = (sum&1)<<7 + sum>>1 + c
	}
	return sum
}

// lfnEntries returns the long-name entries for name, in on-disk order
// (highest sequence number first), ready to precede the short entry.
func lfnEntries(name string, sfn [11]byte) ([][dirEntrySize]byte, error) {
	u := utf16.Encode([]rune(name))
	if len(u) > 255 {
		return nil, fmt.Errorf("fat: name %q longer than 255 UTF-16 units", name)
	}
	n := (len(u) + 12) / 13
	padded := make([]uint16, n*13)
	for i := range padded {
		switch {
		case i < len(u):
			padded[i] = u[i]
		case i == len(u):
			padded[i] = 0
		default:
			padded[i] = 0xFFFF
		}
	}
	sum := sfnChecksum(sfn)
	out := make([][dirEntrySize]byte, n)
	for seq := 1; seq <= n; seq++ {
		var e [dirEntrySize]byte
		e[0] = byte(seq)
		if seq == n {
			e[0] |= 0x40
		}
		e[11] = 0x0F
		e[13] = sum
		chunk := padded[(seq-1)*13 : seq*13]
		offs := []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}
		for i, off := range offs {
			e[off] = byte(chunk[i])
			e[off+1] = byte(chunk[i] >> 8)
		}
		out[n-seq] = e
	}
	return out, nil
}

// nameFromLFN decodes collected long-name entries (any order) to a string.
func nameFromLFN(parts map[int][13]uint16, count int) string {
	var u []uint16
	for seq := 1; seq <= count; seq++ {
		for _, c := range parts[seq] {
			if c == 0 {
				return string(utf16.Decode(u))
			}
			u = append(u, c)
		}
	}
	return string(utf16.Decode(u))
}

// nameFromSFN turns an 11-byte short name into "NAME.EXT", honouring the
// NT lower-case flags (0x08 base, 0x10 extension) Linux and mtools set.
func nameFromSFN(s []byte, ntres byte) string {
	base := strings.TrimRight(string(s[:8]), " ")
	ext := strings.TrimRight(string(s[8:11]), " ")
	if base != "" && base[0] == 0x05 {
		base = "\xe5" + base[1:]
	}
	if ntres&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if ntres&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}
