// Command tandem-probe is the testbed's client prober. It runs inside the
// client namespace and, every interval, opens a NEW TCP connection and does an
// HTTP GET to a URL with a short total timeout, recording each attempt's start
// time and outcome. It stops after -duration, on SIGTERM/SIGINT, or when stdin
// closes (with -stdin), then writes the results as JSON to -out.
//
// With -wait it instead retries until one GET succeeds (or the timeout
// passes), prints the body and exits: the testbed's WaitHTTP and Get.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Attempt is one probe request. T is the start time in Unix nanoseconds so the
// caller can line attempts up with fault times taken from its own clock.
type Attempt struct {
	T    int64  `json:"t"`
	OK   bool   `json:"ok"`
	Body string `json:"b,omitempty"`
	Err  string `json:"e,omitempty"`
}

// Report is the JSON document written to -out.
type Report struct {
	URL      string    `json:"url"`
	Start    int64     `json:"start"`
	End      int64     `json:"end"`
	Attempts []Attempt `json:"attempts"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tandem-probe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tandem-probe", flag.ContinueOnError)
	interval := fs.Duration("interval", 10*time.Millisecond, "time between attempt starts")
	timeout := fs.Duration("timeout", 100*time.Millisecond, "total timeout of one attempt")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGTERM or stdin close)")
	out := fs.String("out", "-", "where to write the JSON report (- for stdout)")
	watchStdin := fs.Bool("stdin", false, "also stop when stdin closes")
	wait := fs.Duration("wait", 0, "retry until one GET succeeds within this time, print the body, exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tandem-probe [flags] URL")
	}
	url := fs.Arg(0)
	client := newClient(*timeout)
	if *wait > 0 {
		return waitOK(client, url, *wait, *interval)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if *watchStdin {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	rep := probe(ctx, client, url, *interval)
	data, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(append(data, '\n'))
		return err
	}
	// Write then rename so a reader never sees a half-written report.
	if err := os.WriteFile(*out+".tmp", data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return os.Rename(*out+".tmp", *out)
}

// newClient returns a client that never reuses a connection: every attempt
// must cross the network path anew, as a fresh client would after a failover.
func newClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	return &http.Client{Transport: tr, Timeout: timeout}
}

func get(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return strings.TrimSpace(string(body)), nil
}

// probe launches one attempt per tick without waiting for the previous one,
// so a hanging request does not slow the sampling down.
func probe(ctx context.Context, client *http.Client, url string, interval time.Duration) Report {
	rep := Report{URL: url, Start: time.Now().UnixNano()}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		start := time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, err := get(client, url)
			a := Attempt{T: start.UnixNano(), OK: err == nil, Body: body}
			if err != nil {
				a.Err = shortErr(err)
			}
			mu.Lock()
			rep.Attempts = append(rep.Attempts, a)
			mu.Unlock()
		}()
		select {
		case <-ctx.Done():
			wg.Wait()
			rep.End = time.Now().UnixNano()
			return rep
		case <-tick.C:
		}
	}
}

// shortErr keeps the last, most specific part of a wrapped network error.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func waitOK(client *http.Client, url string, limit, interval time.Duration) error {
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		body, err := get(client, url)
		if err == nil {
			fmt.Println(body)
			return nil
		}
		lastErr = err
		time.Sleep(interval)
	}
	return fmt.Errorf("GET %s: no answer within %s: %w", url, limit, lastErr)
}
