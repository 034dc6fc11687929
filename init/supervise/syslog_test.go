package supervise

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestParseSyslog(t *testing.T) {
	tests := []struct {
		in, src, text string
	}{
		// HAProxy's default rfc3164 format on a unix socket (no hostname).
		{"<133>Jun 16 10:00:00 haproxy[1234]: Proxy fe started.", "haproxy", "Proxy fe started."},
		{"<134>Jun  6 09:08:07 haproxy[1]: 127.0.0.1:5000 [06/Jun/2026:09:08:07.000] fe be/s1 0/0/0/1/1 200 12 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"", "haproxy", "127.0.0.1:5000 [06/Jun/2026:09:08:07.000] fe be/s1 0/0/0/1/1 200 12 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\""},
		{"<13>Jan  1 00:00:00 node1 myprog: hello", "myprog", "hello"},
		{"<13>Jan  1 00:00:00 myprog: hello: world", "myprog", "hello: world"},
		{"<14>Feb 28 12:00:00 host tag[9]:nospace", "tag", "nospace"},
		// RFC 5424 as HAProxy sends with "log ... format rfc5424".
		{"<134>1 2026-06-16T10:00:00.123456+00:00 lb1 haproxy 1234 - - Proxy fe started.", "haproxy", "Proxy fe started."},
		{`<134>1 2026-06-16T10:00:00Z lb1 haproxy 1234 ID47 [ex@1 a="x\]y"][b@2 c="d"] hi there`, "haproxy", "hi there"},
		{"<134>1 2026-06-16T10:00:00Z - - - - -", "syslog", ""},
		// Short/raw formats and garbage.
		{"<134>just text", "syslog", "just text"},
		{"no pri at all", "syslog", "no pri at all"},
		{"<abc>x", "syslog", "<abc>x"},
		{"<", "syslog", "<"},
		{"", "syslog", ""},
		{"<1>1 broken", "syslog", "1 broken"},
	}
	for _, tt := range tests {
		src, text := ParseSyslog(tt.in)
		if src != tt.src || text != tt.text {
			t.Errorf("ParseSyslog(%q) = %q, %q; want %q, %q", tt.in, src, text, tt.src, tt.text)
		}
	}
}

func FuzzParseSyslog(f *testing.F) {
	f.Add("<133>Jun 16 10:00:00 haproxy[1234]: x")
	f.Add(`<134>1 2026-06-16T10:00:00Z h a p m [x a="]"] m`)
	f.Fuzz(func(t *testing.T, s string) { ParseSyslog(s) })
}

func TestListenSyslog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	ring := NewRing(10)
	l, err := ListenSyslog(path, ring)
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel := ring.Subscribe(10)
	defer cancel()
	conn, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("<133>Jun 16 10:00:00 haproxy[42]: hello ring\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got.Source != "haproxy" || got.Text != "hello ring" {
			t.Errorf("syslog line = %+v, want haproxy: hello ring", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("syslog line never reached the ring")
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	// A second listener replaces the stale socket file.
	l2, err := ListenSyslog(path, ring)
	if err != nil {
		t.Fatalf("ListenSyslog over stale socket: %v", err)
	}
	l2.Close()
}
