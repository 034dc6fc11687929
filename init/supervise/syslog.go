package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// ListenSyslog listens on a unixgram socket at path (PID 1 uses /dev/log)
// and stores every RFC 3164 or RFC 5424 message it receives in ring, with
// the program tag as source. A stale socket at path is replaced. Closing the
// returned Closer stops the listener and removes the socket.
func ListenSyslog(path string, ring *Ring) (*SyslogListener, error) {
	if ring == nil {
		return nil, fmt.Errorf("supervise: syslog %s: nil ring", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("supervise: syslog %s: exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("supervise: syslog: remove stale %s: %w", path, err)
		}
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("supervise: syslog listen %s: %w", path, err)
	}
	// Any local program may log, as with a classic syslogd.
	if err := os.Chmod(path, 0o666); err != nil {
		conn.Close()
		return nil, fmt.Errorf("supervise: syslog chmod %s: %w", path, err)
	}
	l := &SyslogListener{conn: conn, path: path, done: make(chan struct{})}
	go l.serve(ring)
	return l, nil
}

// SyslogListener is a running syslog socket; see ListenSyslog.
type SyslogListener struct {
	conn *net.UnixConn
	path string
	done chan struct{}
	once sync.Once
}

// Close stops the listener, waits for its reader and removes the socket.
func (l *SyslogListener) Close() error {
	var err error
	l.once.Do(func() {
		err = l.conn.Close()
		<-l.done
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	})
	return err
}

func (l *SyslogListener) serve(ring *Ring) {
	defer close(l.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := l.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := time.Now()
		// One datagram may carry several lines (some senders batch).
		for _, msg := range strings.Split(strings.TrimRight(string(buf[:n]), "\n\x00"), "\n") {
			if msg == "" {
				continue
			}
			src, text := ParseSyslog(msg)
			ring.AddLine(Line{At: now, Source: src, Text: text})
		}
	}
}

// ParseSyslog splits one syslog message into its program tag and text. It
// understands RFC 5424 ("<pri>1 ts host app procid msgid sd msg"), RFC 3164
// ("<pri>Mmm dd hh:mm:ss [host] tag[pid]: msg") and bare "<pri>msg". What it
// cannot parse is kept whole with source "syslog".
func ParseSyslog(msg string) (source, text string) {
	const unknown = "syslog"
	rest, ok := stripPri(msg)
	if !ok {
		return unknown, msg
	}
	if strings.HasPrefix(rest, "1 ") {
		if src, text, ok := parse5424(rest[2:]); ok {
			return src, text
		}
		return unknown, rest
	}
	if len(rest) >= len(time.Stamp) {
		if _, err := time.Parse(time.Stamp, rest[:len(time.Stamp)]); err == nil {
			return parse3164Body(strings.TrimLeft(rest[len(time.Stamp):], " "))
		}
	}
	return unknown, rest
}

// stripPri removes a leading "<0-191>".
func stripPri(s string) (string, bool) {
	if len(s) < 3 || s[0] != '<' {
		return s, false
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return s, false
	}
	for _, c := range s[1:end] {
		if c < '0' || c > '9' {
			return s, false
		}
	}
	return s[end+1:], true
}

// parse3164Body parses "[host ]tag[pid]: msg" after the timestamp.
func parse3164Body(s string) (string, string) {
	tag, msg, ok := splitTag(s)
	if ok {
		return tag, msg
	}
	// The first word may be a hostname.
	if i := strings.IndexByte(s, ' '); i > 0 {
		if tag, msg, ok := splitTag(s[i+1:]); ok {
			return tag, msg
		}
	}
	return "syslog", s
}

// splitTag parses "tag[pid]: msg" or "tag: msg" at the start of s.
func splitTag(s string) (tag, msg string, ok bool) {
	i := strings.IndexAny(s, " :[")
	if i <= 0 {
		return "", "", false
	}
	tag, rest := s[:i], s[i:]
	if rest[0] == '[' {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return "", "", false
		}
		rest = rest[j+1:]
	}
	if !strings.HasPrefix(rest, ":") {
		return "", "", false
	}
	return tag, strings.TrimPrefix(rest[1:], " "), true
}

// parse5424 parses "ts host app procid msgid sd msg" after the version.
func parse5424(s string) (string, string, bool) {
	f := strings.SplitN(s, " ", 6)
	if len(f) < 6 {
		return "", "", false
	}
	app, rest := f[2], f[5]
	if app == "-" {
		app = "syslog"
	}
	// Skip structured data: "-" or one or more "[...]" elements.
	switch {
	case rest == "-":
		rest = ""
	case strings.HasPrefix(rest, "- "):
		rest = rest[2:]
	case strings.HasPrefix(rest, "["):
		for strings.HasPrefix(rest, "[") {
			j := sdEnd(rest)
			if j < 0 {
				return "", "", false
			}
			rest = rest[j+1:]
		}
		rest = strings.TrimPrefix(rest, " ")
	default:
		return "", "", false
	}
	return app, strings.TrimPrefix(rest, "\ufeff"), true
}

// sdEnd returns the index of the ']' closing the SD element at s[0],
// honouring backslash escapes inside quoted parameter values.
func sdEnd(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ']' && !inQuote:
			return i
		}
	}
	return -1
}
