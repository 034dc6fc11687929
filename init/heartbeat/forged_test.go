package heartbeat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// capture reads, inside ns on dev, the UDP payload of the next heartbeat
// sent from src to the heartbeat port: a real packet off the wire.
func capture(t *testing.T, ns, dev string, src [4]byte) []byte {
	t.Helper()
	var fd int
	var err error
	inNetns(t, ns, func() {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
		if err != nil {
			return
		}
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(dev); err != nil {
			return
		}
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatalf("capture socket: %v", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
		ip := buf[:n]
		if len(ip) < 28 || ip[9] != unix.IPPROTO_UDP || [4]byte(ip[12:16]) != src {
			continue
		}
		udp := ip[int(ip[0]&0x0f)*4:]
		if binary.BigEndian.Uint16(udp[2:4]) == DefaultPort {
			return append([]byte(nil), udp[8:]...)
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func TestForgedAndReplayedPacketsAreDroppedAndCounted(t *testing.T) {
	tb := newTestbed(t)
	cfgA := tb.config(0, 20*time.Millisecond)
	a := start(t, tb.newChannel(t, cfgA, 0), "a")
	b := start(t, tb.newChannel(t, tb.config(1, 20*time.Millisecond), 1), "b")
	captured := capture(t, tb.nsB, tb.il, tb.ilA.As4())

	// The attacker sends from A's interlink address (another port).
	var inj *net.UDPConn
	var err error
	inNetns(t, tb.nsA, func() {
		inj, err = net.ListenUDP("udp4", &net.UDPAddr{IP: tb.ilA.AsSlice()})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	to := &net.UDPAddr{IP: tb.ilB.AsSlice(), Port: DefaultPort}
	send := func(b []byte) {
		t.Helper()
		if _, err := inj.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
	}
	forge := func(secret string, pk packet) []byte {
		key, err := deriveKey([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		pk.Payload = []byte("FORGED")
		return appendPacket(nil, &pk, hmac.New(sha256.New, key))
	}
	good, wrong := string(cfgA.Key), "not the cluster secret at all"
	inc := a.ch.Incarnation()

	send(captured)                                                                                                        // replay
	send(forge(wrong, packet{Cluster: "HAcluster", Node: "haproxy1", Incarnation: inc, Seq: 1 << 40, Path: "interlink"})) // bad-mac
	send(forge(wrong, packet{Cluster: "HAcluster", Node: "haproxy1", Incarnation: inc + 1e12, Seq: 1, Path: "interlink"}))
	send(forge(good, packet{Cluster: "OtherCluster", Node: "haproxy1", Incarnation: inc, Seq: 1 << 40, Path: "interlink"}))
	send(forge(good, packet{Cluster: "HAcluster", Node: "haproxy2", Incarnation: inc, Seq: 1 << 40, Path: "interlink"}))
	send(forge(good, packet{Cluster: "HAcluster", Node: "haproxy1", Incarnation: inc - 1, Seq: 1 << 40, Path: "interlink"}))
	send([]byte("TDHB garbage")) // too short to carry a MAC: malformed

	want := map[string]uint64{DropReplay: 1, DropBadMAC: 2, DropOtherCluster: 1, DropOwnNode: 1, DropOldIncarnation: 1, DropMalformed: 1}
	waitFor(t, 2*time.Second, "drop counters", func() bool {
		var total uint64
		for _, n := range b.ch.Stats().Paths["interlink"].Dropped {
			total += n
		}
		return total >= 7
	})
	time.Sleep(50 * time.Millisecond) // nothing more may be dropped
	got := b.ch.Stats().Paths["interlink"].Dropped
	t.Logf("b interlink drops: %v", got)
	for reason, n := range want {
		if got[reason] != n {
			t.Errorf("dropped[%s] = %d, want %d", reason, got[reason], n)
		}
	}

	// The forged high incarnation (wrong key) must not have hijacked A's
	// identity: A's genuine heartbeats are still accepted.
	now := time.Now()
	waitFor(t, time.Second, "genuine heartbeats after the forgeries", func() bool { return len(b.since("interlink", now)) > 2 })

	// A restarts (new incarnation); a packet captured from its previous life is rejected.
	a.stop()
	a2 := start(t, tb.newChannel(t, cfgA, 0), "a2")
	if a2.ch.Incarnation() <= inc {
		t.Fatalf("restarted incarnation %d not above %d", a2.ch.Incarnation(), inc)
	}
	now = time.Now()
	waitFor(t, time.Second, "the restarted node", func() bool {
		hs := b.since("interlink", now)
		return len(hs) > 0 && hs[len(hs)-1].Incarnation == a2.ch.Incarnation()
	})
	send(captured)
	waitFor(t, time.Second, "old-incarnation drop", func() bool {
		return b.ch.Stats().Paths["interlink"].Dropped[DropOldIncarnation] == 2
	})

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.heard {
		if strings.Contains(string(h.Payload), "FORGED") {
			t.Fatalf("forged packet delivered: %+v", h)
		}
	}
}
