package boot

// fnmatch reports whether s matches the shell pattern p with the semantics
// of fnmatch(3) with flags 0, which kmod uses for modules.alias: '*' matches
// any run of bytes (including '/'), '?' any one byte, '[...]' a class with
// '!' or '^' negation, ranges and [:name:] classes, and '\' escapes the next
// byte. A '[' without its closing ']' is an ordinary byte.
//
// It backtracks only to the last '*', which is enough for globs and keeps
// the cost linear in practice even for long cpu: modaliases.
func fnmatch(p, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				for px < len(p) && p[px] == '*' {
					px++
				}
				if px == len(p) {
					return true
				}
				starP, starS = px, sx
				continue
			case '?':
				px++
				sx++
				continue
			case '[':
				matched, width, valid := matchClass(p[px:], s[sx])
				if !valid {
					if s[sx] == '[' {
						px++
						sx++
						continue
					}
				} else if matched {
					px += width
					sx++
					continue
				}
			case '\\':
				if px+1 < len(p) {
					if p[px+1] == s[sx] {
						px += 2
						sx++
						continue
					}
				} else if s[sx] == '\\' {
					px++
					sx++
					continue
				}
			default:
				if c == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP, starS
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// matchClass matches one byte against the bracket expression at the start
// of p. It returns whether c matched, the width of the expression, and
// whether the expression was well formed (closed by ']').
func matchClass(p string, c byte) (matched bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for {
		if i >= len(p) {
			return false, 0, false
		}
		ch := p[i]
		if ch == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		if ch == '[' && i+1 < len(p) && p[i+1] == ':' {
			end := indexFrom(p, ":]", i+2)
			if end >= 0 {
				if namedClass(p[i+2:end], c) {
					matched = true
				}
				i = end + 2
				continue
			}
		}
		if ch == '\\' && i+1 < len(p) {
			i++
			ch = p[i]
		}
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi := p[i+2]
			i += 3
			if hi == '\\' && i < len(p) {
				hi = p[i]
				i++
			}
			if ch <= c && c <= hi {
				matched = true
			}
			continue
		}
		if ch == c {
			matched = true
		}
		i++
	}
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// namedClass implements the POSIX classes in the C locale.
func namedClass(name string, c byte) bool {
	isUpper := 'A' <= c && c <= 'Z'
	isLower := 'a' <= c && c <= 'z'
	isDigit := '0' <= c && c <= '9'
	switch name {
	case "alpha":
		return isUpper || isLower
	case "digit":
		return isDigit
	case "alnum":
		return isUpper || isLower || isDigit
	case "upper":
		return isUpper
	case "lower":
		return isLower
	case "xdigit":
		return isDigit || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
	case "space":
		return c == ' ' || ('\t' <= c && c <= '\r')
	case "blank":
		return c == ' ' || c == '\t'
	case "punct":
		return c > ' ' && c < 0x7f && !(isUpper || isLower || isDigit)
	case "print":
		return c >= ' ' && c < 0x7f
	case "graph":
		return c > ' ' && c < 0x7f
	case "cntrl":
		return c < ' ' || c == 0x7f
	}
	return false
}

// normalizeAlias turns '-' into '_' outside bracket expressions, as kmod's
// alias_normalize does for both the index and the looked-up string. It
// reports false for a stray ']' or an unterminated '['.
func normalizeAlias(s string) (string, bool) {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '-':
			b[i] = '_'
		case ']':
			return s, false
		case '[':
			for i < len(b) && b[i] != ']' {
				i++
			}
			if i == len(b) {
				return s, false
			}
		}
	}
	return string(b), true
}

// literalPrefix is the part of a pattern before its first special byte.
func literalPrefix(p string) string {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[', '\\':
			return p[:i]
		}
	}
	return p
}
