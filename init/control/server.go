package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultSocket is where the runtime serves the control API.
const DefaultSocket = "/run/tandem/control.sock"

// Runtime is what the control socket asks of the running node.
type Runtime interface {
	Status() Status
	// Standby hands the VIPs over now and stays standby.
	Standby(ctx context.Context) error
	// Online clears operator standby, bans and fail counts.
	Online(ctx context.Context) error
	// Reload checks HAProxy's configuration and reloads it without
	// dropping connections.
	Reload(ctx context.Context) error
	// Logs returns up to n recent log lines, oldest first.
	Logs(n int) []string
}

// Serve serves the control API on a unix socket at path until ctx ends.
// The socket is owner-only: it can move the VIP.
func Serve(ctx context.Context, path string, rt Runtime) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control: listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control: %w", err)
	}
	srv := &http.Server{Handler: handler(rt), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("control: serve: %w", err)
	}
	return nil
}

func handler(rt Runtime) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, rt.Status())
	})
	mux.HandleFunc("POST /standby", func(w http.ResponseWriter, r *http.Request) {
		writeResult(w, rt.Standby(r.Context()))
	})
	mux.HandleFunc("POST /online", func(w http.ResponseWriter, r *http.Request) {
		writeResult(w, rt.Online(r.Context()))
	})
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		writeResult(w, rt.Reload(r.Context()))
	})
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n <= 0 {
			n = 200
		}
		writeJSON(w, rt.Logs(n))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeResult(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	writeJSON(w, map[string]string{"result": "ok"})
}
