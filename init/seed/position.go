package seed

import (
	"strconv"
	"strings"
)

// positions maps key paths (as keyPath renders them) to where they appear in
// the TOML text. The TOML library keeps key positions private, so this is a
// small line scanner: table headers, array-of-table headers, plain, quoted
// and dotted keys, with multi-line strings and arrays skipped. A key it
// cannot place falls back to its nearest placed parent.
type positions map[string]pos

type pos struct{ line, col int }

func indexPositions(text string) positions {
	ps := positions{}
	var table []string
	counts := map[string]int{}
	closer := "" // non-empty while inside a multi-line string or array
	depth := 0
	for n, raw := range strings.Split(text, "\n") {
		line := n + 1
		if closer != "" {
			if closer == "]" {
				depth += bracketDelta(raw)
				if depth <= 0 {
					closer = ""
				}
			} else if strings.Contains(raw, closer) {
				closer = ""
			}
			continue
		}
		trimmed := strings.TrimLeft(raw, " \t")
		col := len(raw) - len(trimmed) + 1
		switch {
		case trimmed == "" || trimmed[0] == '#':
			continue
		case strings.HasPrefix(trimmed, "[["):
			name := parseKey(strings.TrimSpace(strings.SplitN(trimmed[2:], "]]", 2)[0]))
			base := keyPath(name)
			idx := counts[base]
			counts[base]++
			table = append(append([]string{}, name...), strconv.Itoa(idx))
			ps.add(table, line, col)
			continue
		case trimmed[0] == '[':
			table = parseKey(strings.TrimSpace(strings.SplitN(trimmed[1:], "]", 2)[0]))
			ps.add(table, line, col)
			continue
		}
		eq := keyEnd(trimmed)
		if eq < 0 {
			continue
		}
		key := parseKey(strings.TrimSpace(trimmed[:eq]))
		full := append(append([]string{}, table...), key...)
		ps.add(full, line, col)
		value := strings.TrimSpace(trimmed[eq+1:])
		switch {
		case strings.HasPrefix(value, `"""`) && !strings.Contains(value[3:], `"""`):
			closer = `"""`
		case strings.HasPrefix(value, `'''`) && !strings.Contains(value[3:], `'''`):
			closer = `'''`
		case strings.HasPrefix(value, "["):
			if d := bracketDelta(value); d > 0 {
				closer, depth = "]", d
			}
		}
	}
	return ps
}

func (ps positions) add(path []string, line, col int) {
	k := keyPath(path)
	if _, dup := ps[k]; !dup {
		ps[k] = pos{line, col}
	}
}

// lookup returns the position of path, or of its nearest placed parent, or
// line 1.
func (ps positions) lookup(path []string) pos {
	for n := len(path); n > 0; n-- {
		if p, ok := ps[keyPath(path[:n])]; ok {
			return p
		}
	}
	return pos{1, 1}
}

// keyPath renders a path for people and for the index: numeric elements
// become array indexes, so ["interface","0","mtu"] is interface[0].mtu.
func keyPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// keyEnd finds the '=' that ends a key, skipping quoted parts; -1 if the
// line holds no assignment.
func keyEnd(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			return i
		case c == '#' || c == '[' || c == '{' || c == ',':
			return -1
		}
	}
	return -1
}

// parseKey splits a dotted TOML key, removing quotes around its parts.
func parseKey(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c == ' ' || c == '\t':
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(cur.String()))
}

// bracketDelta counts '[' minus ']' outside strings and comments.
func bracketDelta(s string) int {
	d := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return d
		case c == '[':
			d++
		case c == ']':
			d--
		}
	}
	return d
}
