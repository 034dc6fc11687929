package testbed

import (
	"strings"
	"testing"
	"time"
)

func ms(n ...int) []time.Duration {
	var ds []time.Duration
	for _, v := range n {
		ds = append(ds, time.Duration(v)*time.Millisecond)
	}
	return ds
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in                []time.Duration
		median, p95, maxd time.Duration
	}{
		{nil, 0, 0, 0},
		{ms(5), 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond},
		{ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond},
		{ms(40, 10, 30, 20), 25 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 10500 * time.Microsecond, 19 * time.Millisecond, 20 * time.Millisecond},
	} {
		s := Summarize(tc.in)
		if s.Median != tc.median || s.P95 != tc.p95 || s.Max != tc.maxd || s.N != len(tc.in) {
			t.Errorf("Summarize(%v) = %+v, want median %v p95 %v max %v", tc.in, s, tc.median, tc.p95, tc.maxd)
		}
	}
	in := ms(3, 1, 2)
	Summarize(in)
	if in[0] != 3*time.Millisecond {
		t.Errorf("Summarize modified its input: %v", in)
	}
}

func TestTable(t *testing.T) {
	tb := Table{Header: StatsHeader("variant", "scenario")}
	tb.AddStats(Summarize(ms(40, 50)), "keepalived 0.01", "node death")
	tb.AddStats(Summarize([]time.Duration{3 * time.Second}), "tandem", "haproxy crash")
	got := tb.String()
	want := `variant          scenario       n  median  p95    max
keepalived 0.01  node death     2  45ms    50ms   50ms
tandem           haproxy crash  1  3.00s   3.00s  3.00s
`
	if got != want {
		t.Errorf("Table.String() =\n%s\nwant\n%s", got, want)
	}
	if strings.Count(got, "\n") != 3 {
		t.Errorf("want 3 lines, got %q", got)
	}
}

func TestParseProbe(t *testing.T) {
	// Start at 1s; answered at 1.00, 1.01, then nothing until 1.50, then 1.51.
	// The run ends at 1.60.
	data := `{"url":"http://x/","start":1000000000,"end":1600000000,"attempts":[
		{"t":1010000000,"ok":true,"b":"web2"},
		{"t":1000000000,"ok":true,"b":"web1"},
		{"t":1020000000,"ok":false,"e":"connection refused"},
		{"t":1030000000,"ok":false,"e":"timeout"},
		{"t":1500000000,"ok":true,"b":"web1"},
		{"t":1510000000,"ok":true,"b":"web1"}]}`
	r, err := ParseProbe([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 6 || r.Failed != 2 {
		t.Errorf("Total, Failed = %d, %d, want 6, 2", r.Total, r.Failed)
	}
	if r.LongestGap != 490*time.Millisecond {
		t.Errorf("LongestGap = %v, want 490ms", r.LongestGap)
	}
	if r.Backends["web1"] != 3 || r.Backends["web2"] != 1 {
		t.Errorf("Backends = %v, want web1:3 web2:1", r.Backends)
	}
	fault := time.Unix(0, 1025000000)
	if g := r.GapAround(fault); g != 490*time.Millisecond {
		t.Errorf("GapAround(1.025) = %v, want 490ms", g)
	}
	if !r.Recovered(fault) {
		t.Error("Recovered(1.025) = false, want true")
	}
	late := time.Unix(0, 1550000000)
	if g := r.GapAround(late); g != 90*time.Millisecond {
		t.Errorf("GapAround(1.55) = %v, want 90ms (to the end)", g)
	}
	if r.Recovered(late) {
		t.Error("Recovered(1.55) = true, want false")
	}
	// A request started just before the fault is still answered; the outage
	// that follows it is the fault's.
	if g := r.GapAround(time.Unix(0, 1005000000)); g != 490*time.Millisecond {
		t.Errorf("GapAround(1.005) = %v, want 490ms (the gap after the last in-flight answer)", g)
	}
	if _, err := ParseProbe([]byte("{")); err == nil {
		t.Error("ParseProbe(bad json) = nil error")
	}
}
