// Command tandem-testweb is the testbed's backend: a tiny HTTP server that
// answers every GET with its own name, so a client can tell which backend
// served a request through the load balancer.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tandem-testweb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tandem-testweb", flag.ContinueOnError)
	name := fs.String("name", "", "name to answer with (required)")
	addr := fs.String("addr", ":80", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("-name is required")
	}
	body := []byte(*name + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(os.Stderr, "tandem-testweb: %s listening on %s\n", *name, *addr)
	return srv.ListenAndServe()
}
