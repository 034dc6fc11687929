package heartbeat

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPacketRoundTrip(t *testing.T) {
	key, err := deriveKey([]byte("0123456789abcdef-secret"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	in := packet{
		Cluster: "HAcluster", Node: "haproxy1", Incarnation: 1 << 60, Seq: 42, Path: "lan",
		EchoIncarnation: 7, EchoSeq: 41, EchoPath: "lan", EchoDelay: 3 * time.Millisecond,
		Payload: []byte("state"),
	}
	b := appendPacket(nil, &in, mac)
	if !verifyMAC(b, mac, nil) {
		t.Fatal("MAC of a fresh packet does not verify")
	}
	out, err := decodePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Fatalf("round trip (-in +out):\n%s", diff)
	}

	// Every single-bit flip must break the MAC.
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if verifyMAC(c, mac, nil) {
			t.Fatalf("flip at byte %d still verifies", i)
		}
	}
	// Another key must not verify.
	other, _ := deriveKey([]byte("another-secret-0123456789"))
	if verifyMAC(b, hmac.New(sha256.New, other), nil) {
		t.Fatal("packet verifies under another key")
	}
	// Every truncation is rejected without panicking.
	for n := range len(b) {
		if _, err := decodePacket(b[:n]); err == nil && verifyMAC(b[:n], mac, nil) {
			t.Fatalf("truncated packet (%d bytes) accepted", n)
		}
	}
}

func TestDeriveKeyIsFullLengthAndLabelled(t *testing.T) {
	a, err := deriveKey([]byte("a fairly long shared secret that must not be truncated"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := deriveKey([]byte("a fairly long shared secret that must not be truncated!"))
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("keys: len %d, equal for different secrets: %v", len(a), bytes.Equal(a, b))
	}
}

func TestConfigValidation(t *testing.T) {
	good := Config{Cluster: "c", Node: "n", Key: []byte("0123456789abcdef"), Paths: []Path{{
		Name: "lan", Local: netip.MustParseAddr("192.0.2.1"), Peers: []netip.Addr{netip.MustParseAddr("192.0.2.2")}}}}
	g := good.withDefaults()
	if err := g.validate(); err != nil {
		t.Fatalf("good config rejected: %v", err)
	}
	if g.Port != DefaultPort || g.Interval != DefaultProfile.Interval {
		t.Fatalf("defaults not applied: %+v", g)
	}
	bad := []func(c *Config){
		func(c *Config) { c.Key = []byte("short") },
		func(c *Config) { c.Cluster = "" },
		func(c *Config) { c.Paths = nil },
		func(c *Config) { c.Paths = append(c.Paths, c.Paths[0]) },
		func(c *Config) { c.Paths[0].Peers = []netip.Addr{netip.MustParseAddr("2001:db8::1")} },
	}
	for i, mutate := range bad {
		c := good
		c.Paths = append([]Path(nil), good.Paths...)
		mutate(&c)
		c = c.withDefaults()
		if err := c.validate(); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}
