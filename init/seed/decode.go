package seed

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// reader walks the decoded TOML tree against the schema. It records every
// problem instead of stopping at the first, so an operator fixes a seed in
// one pass.
type reader struct {
	file     string
	pos      positions
	problems Problems
}

func (r *reader) add(path []string, format string, args ...any) {
	p := r.pos.lookup(path)
	r.problems = append(r.problems, Problem{
		File: r.file, Line: p.line, Col: p.col,
		Key: keyPath(path), Msg: fmt.Sprintf(format, args...),
	})
}

// table is one TOML table being read: it remembers which keys the schema
// knew, so that the rest can be reported as unknown.
type table struct {
	r     *reader
	path  []string
	m     map[string]any
	known map[string]bool
}

func (r *reader) table(path []string, m map[string]any) *table {
	return &table{r: r, path: path, m: m, known: map[string]bool{}}
}

func (t *table) at(key string) []string {
	return append(append([]string{}, t.path...), key)
}

func (t *table) get(key string) (any, bool) {
	t.known[key] = true
	v, ok := t.m[key]
	return v, ok
}

// done reports every key the schema did not ask for, so a typo is never
// silently ignored.
func (t *table) done(allowed ...string) {
	var unknown []string
	for k := range t.m {
		if !t.known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		hint := "allowed keys: " + strings.Join(allowed, ", ")
		t.r.add(t.at(k), "unknown key; %s", hint)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

func (t *table) str(key string) (string, bool) {
	v, ok := t.get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		t.r.add(t.at(key), "is %s, want a string", typeName(v))
	}
	return s, ok
}

func (t *table) boolean(key string) (bool, bool) {
	v, ok := t.get(key)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		t.r.add(t.at(key), "is %s, want true or false", typeName(v))
	}
	return b, ok
}

func (t *table) integer(key string) (int, bool) {
	v, ok := t.get(key)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		t.r.add(t.at(key), "is %s, want an integer", typeName(v))
		return 0, false
	}
	if n < -1<<31 || n > 1<<31-1 {
		t.r.add(t.at(key), "%d is out of range", n)
		return 0, false
	}
	return int(n), true
}

func (t *table) strings(key string) ([]string, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		t.r.add(t.at(key), "is %s, want an array of strings", typeName(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.r.add(t.at(key), "element %d is %s, want a string", i, typeName(e))
			continue
		}
		out = append(out, s)
	}
	return out, true
}

func (t *table) subtable(key string) (*table, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.r.add(t.at(key), "is %s, want a table ([%s])", typeName(v), key)
		return nil, false
	}
	return t.r.table(t.at(key), m), true
}

func (t *table) tables(key string) ([]*table, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	var list []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		list = x
	case []any:
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				t.r.add(t.at(key), "element %d is %s, want a table ([[%s]])", i, typeName(e), key)
				continue
			}
			list = append(list, m)
		}
	default:
		t.r.add(t.at(key), "is %s, want an array of tables ([[%s]])", typeName(v), key)
		return nil, false
	}
	out := make([]*table, len(list))
	for i, m := range list {
		out[i] = t.r.table(append(t.at(key), strconv.Itoa(i)), m)
	}
	return out, true
}

// Typed value helpers: each reads a key, parses it and reports a problem
// that says what was expected.

func (t *table) prefix(key string) (netip.Prefix, bool) {
	s, ok := t.str(key)
	if !ok {
		return netip.Prefix{}, false
	}
	return t.parsePrefix(t.at(key), s)
}

func (t *table) parsePrefix(path []string, s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.r.add(path, "%q is not an address with prefix length, want e.g. 192.168.10.81/24 or 2001:db8::81/64", s)
		return netip.Prefix{}, false
	}
	if p.Addr().Zone() != "" {
		t.r.add(path, "%q has a zone; want a plain address", s)
		return netip.Prefix{}, false
	}
	if p.Addr() == p.Masked().Addr() && p.Bits() < p.Addr().BitLen()-1 {
		t.r.add(path, "%q is a network address; want a host address inside it", s)
		return netip.Prefix{}, false
	}
	return p, true
}

func (t *table) addr(key string) (netip.Addr, bool) {
	s, ok := t.str(key)
	if !ok {
		return netip.Addr{}, false
	}
	return t.parseAddr(t.at(key), s)
}

func (t *table) parseAddr(path []string, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		t.r.add(path, "%q is not an IP address, want e.g. 10.1.1.2 or 2001:db8::2", s)
		return netip.Addr{}, false
	}
	return a, true
}

func (t *table) addrs(key string) ([]netip.Addr, bool) {
	ss, ok := t.strings(key)
	if !ok {
		return nil, false
	}
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		if a, ok := t.parseAddr(t.at(key), s); ok {
			out = append(out, a)
		}
	}
	return out, true
}

func (t *table) prefixes(key string) ([]netip.Prefix, bool) {
	ss, ok := t.strings(key)
	if !ok {
		return nil, false
	}
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		if p, ok := t.parsePrefix(t.at(key), s); ok {
			out = append(out, p)
		}
	}
	return out, true
}

func (t *table) mac(key string) (net.HardwareAddr, bool) {
	s, ok := t.str(key)
	if !ok {
		return nil, false
	}
	m, err := net.ParseMAC(s)
	if err != nil || len(m) != 6 {
		t.r.add(t.at(key), "%q is not an Ethernet MAC address, want e.g. 52:54:00:12:34:56", s)
		return nil, false
	}
	return m, true
}

// mtu reads an optional MTU; 0 means leave the NIC's MTU alone.
func (t *table) mtu(key string) int {
	n, ok := t.integer(key)
	if ok && (n < 68 || n > 65535) {
		t.r.add(t.at(key), "%d is out of range, want 68 to 65535", n)
		return 0
	}
	return n
}

func (t *table) require(key string) {
	if _, ok := t.m[key]; !ok {
		t.r.add(t.path, "missing required key %q", key)
	}
}
