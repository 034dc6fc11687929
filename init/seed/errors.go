package seed

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a seed, tied to a place in its file.
type Problem struct {
	File string
	Line int
	Col  int
	// Key is the dotted key path, with array indexes: interface[0].addresses.
	Key string
	Msg string
}

func (p Problem) String() string {
	key := p.Key
	if key == "" {
		key = "(file)"
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Col, key, p.Msg)
}

// Problems is every problem found in one or more seeds. It is an error.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sorted orders problems by file, then position, keeping the order of
// problems found at the same place.
func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return ps
}
