package supervise

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func texts(ls []Line) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return out
}

func TestRingWrapsAndKeepsNewest(t *testing.T) {
	r := NewRing(3)
	if got := r.Lines(0); len(got) != 0 {
		t.Fatalf("Lines(0) on empty ring = %v, want none", got)
	}
	for i := range 5 {
		r.Add("t", fmt.Sprint(i))
	}
	if diff := cmp.Diff([]string{"2", "3", "4"}, texts(r.Lines(0))); diff != "" {
		t.Errorf("Lines(0) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"3", "4"}, texts(r.Lines(2))); diff != "" {
		t.Errorf("Lines(2) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2", "3", "4"}, texts(r.Lines(10))); diff != "" {
		t.Errorf("Lines(10) mismatch (-want +got):\n%s", diff)
	}
}

func TestRingWriteSplitsLines(t *testing.T) {
	r := NewRing(10)
	w := r.Writer("svc")
	for _, chunk := range []string{"one\ntw", "o\r\n", "\nthree", "\n", "tail"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"one", "two", "", "three"}, texts(r.Lines(0))); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
	w.Flush()
	got := r.Lines(1)[0]
	if got.Text != "tail" || got.Source != "svc" || got.At.IsZero() {
		t.Errorf("after Flush last line = %+v, want tail from svc with a time", got)
	}
	// The ring itself is a writer with an empty source.
	fmt.Fprintf(r, "direct\n")
	if got := r.Lines(1)[0]; got.Text != "direct" || got.Source != "" {
		t.Errorf("Ring.Write line = %+v, want direct with empty source", got)
	}
}

func TestRingSplitsOverlongLines(t *testing.T) {
	r := NewRing(10)
	w := r.Writer("x")
	w.Write([]byte(strings.Repeat("a", maxLine+10) + "\n"))
	got := texts(r.Lines(0))
	if len(got) != 2 || len(got[0]) != maxLine || len(got[1]) != 10 {
		t.Errorf("overlong line split into %d lines, want lengths [%d 10]", len(got), maxLine)
	}
}

func TestRingSubscribe(t *testing.T) {
	r := NewRing(10)
	r.Add("a", "before")
	ch, cancel := r.Subscribe(4)
	r.Add("a", "after")
	select {
	case l := <-ch:
		if l.Text != "after" {
			t.Errorf("followed line = %q, want after", l.Text)
		}
	case <-time.After(time.Second):
		t.Fatal("no line delivered to follower")
	}
	// A slow follower must not block writers.
	for i := range 100 {
		r.Add("a", fmt.Sprint(i))
	}
	cancel()
	cancel() // idempotent
	n := 0
	for range ch {
		n++
	}
	if n != 4 {
		t.Errorf("slow follower got %d lines, want its buffer of 4", n)
	}
}

func TestRingConcurrent(t *testing.T) {
	r := NewRing(100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := r.Writer(fmt.Sprint(g))
			for i := range 200 {
				fmt.Fprintf(w, "line %d\n", i)
				r.Lines(5)
			}
		}()
	}
	wg.Wait()
	if got := len(r.Lines(0)); got != 100 {
		t.Errorf("len(Lines(0)) = %d, want 100", got)
	}
}
