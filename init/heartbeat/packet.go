package heartbeat

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"hash"
	"time"
)

// Wire format (big endian), followed by a 32-byte HMAC-SHA256 of all of it:
//
//	magic "TDHB" | version u8 | cluster str8 | node str8 | incarnation u64 |
//	seq u64 | path str8 | echo incarnation u64 | echo seq u64 | echo path str8 |
//	echo delay ns u64 | payload u16-length bytes
//
// str8 is a one-byte length followed by the bytes.
const (
	magic       = "TDHB"
	wireVersion = 1
	macLen      = 32
	// maxPacket bounds the receive buffer: fixed fields, four names and the payload.
	maxPacket = 4 + 1 + 4*(1+maxNameLen) + 5*8 + 2 + MaxPayload + macLen
)

// packet is the decoded content of one heartbeat.
type packet struct {
	Cluster     string
	Node        string
	Incarnation uint64
	Seq         uint64
	Path        string
	// Echo of the last packet received from the destination: its sender's
	// incarnation, its seq and path, and how long ago it arrived.
	EchoIncarnation uint64
	EchoSeq         uint64
	EchoPath        string
	EchoDelay       time.Duration
	Payload         []byte
}

var errMalformed = errors.New("malformed packet")

// appendPacket encodes p into buf (reset to length 0) and appends the MAC.
func appendPacket(buf []byte, p *packet, mac hash.Hash) []byte {
	b := append(buf[:0], magic...)
	b = append(b, wireVersion)
	b = appendStr8(b, p.Cluster)
	b = appendStr8(b, p.Node)
	b = binary.BigEndian.AppendUint64(b, p.Incarnation)
	b = binary.BigEndian.AppendUint64(b, p.Seq)
	b = appendStr8(b, p.Path)
	b = binary.BigEndian.AppendUint64(b, p.EchoIncarnation)
	b = binary.BigEndian.AppendUint64(b, p.EchoSeq)
	b = appendStr8(b, p.EchoPath)
	b = binary.BigEndian.AppendUint64(b, uint64(max(p.EchoDelay, 0)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Payload)))
	b = append(b, p.Payload...)
	mac.Reset()
	mac.Write(b)
	return mac.Sum(b)
}

func appendStr8(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// verifyMAC reports whether b carries a valid MAC (constant-time compare).
func verifyMAC(b []byte, mac hash.Hash, scratch []byte) bool {
	if len(b) < macLen {
		return false
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	mac.Reset()
	mac.Write(body)
	return hmac.Equal(mac.Sum(scratch[:0]), sum)
}

// decodePacket parses an authenticated packet body (MAC already checked and
// included at the end of b). The payload aliases b.
func decodePacket(b []byte) (packet, error) {
	var p packet
	if len(b) < len(magic)+1+macLen || string(b[:len(magic)]) != magic || b[len(magic)] != wireVersion {
		return p, errMalformed
	}
	r := reader{b: b[len(magic)+1 : len(b)-macLen]}
	p.Cluster = r.str8()
	p.Node = r.str8()
	p.Incarnation = r.u64()
	p.Seq = r.u64()
	p.Path = r.str8()
	p.EchoIncarnation = r.u64()
	p.EchoSeq = r.u64()
	p.EchoPath = r.str8()
	p.EchoDelay = time.Duration(r.u64())
	n := int(r.u16())
	p.Payload = r.bytes(n)
	if r.bad || len(r.b) != 0 || p.EchoDelay < 0 {
		return packet{}, errMalformed
	}
	return p, nil
}

// reader consumes fields and remembers whether it ran out of bytes.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) str8() string {
	n := r.bytes(1)
	if n == nil {
		return ""
	}
	return string(r.bytes(int(n[0])))
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
