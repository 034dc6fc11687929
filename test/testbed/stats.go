package testbed

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Stats summarises repeated measurements of one figure.
type Stats struct {
	N      int
	Median time.Duration
	P95    time.Duration
	Max    time.Duration
}

// Summarize computes median, p95 (nearest rank) and max. It does not modify ds.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Stats{N: len(s), Median: Median(s), P95: Percentile(s, 95), Max: s[len(s)-1]}
}

// Median of ds (mean of the two middle values for an even count).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100 + 0.999999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Table prints rows aligned under a header, columns separated by two spaces.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// AddStats appends a row of the given leading cells then n, median, p95, max.
func (t *Table) AddStats(s Stats, lead ...string) {
	t.Add(append(lead, fmt.Sprint(s.N), FormatDuration(s.Median), FormatDuration(s.P95), FormatDuration(s.Max))...)
}

// Write prints the table to w.
func (t *Table) Write(w io.Writer) error {
	widths := make([]int, len(t.Header))
	all := append([][]string{t.Header}, t.Rows...)
	for _, r := range all {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	var sb strings.Builder
	for _, r := range all {
		for i, c := range r {
			if i > 0 {
				sb.WriteString("  ")
			}
			if i == len(r)-1 {
				sb.WriteString(c)
			} else {
				fmt.Fprintf(&sb, "%-*s", widths[i], c)
			}
		}
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// String renders the table.
func (t *Table) String() string {
	var sb strings.Builder
	_ = t.Write(&sb)
	return sb.String()
}

// FormatDuration prints outages readably: "40ms", "1.02s".
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond)/time.Millisecond)
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// StatsHeader is the header matching AddStats rows.
func StatsHeader(lead ...string) []string {
	return append(lead, "n", "median", "p95", "max")
}
