package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"tandem/init/control"
)

// controlReadyTimeout bounds the wait for the control socket to listen.
const controlReadyTimeout = 5 * time.Second

// serveControl serves the control socket at path and returns once it
// listens, so a socket that cannot be created fails the start-up instead
// of leaving a node nobody can talk to. stop closes the socket (which
// removes its file) and waits for the server to end.
func (n *node) serveControl(path string) (stop func(), err error) {
	// With any old socket file gone, a successful dial below can only
	// reach the listener started here.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.log.Debug("control: removing an old socket", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	goSafe(n.log, "control", func() {
		err := errors.New("control: the server panicked")
		defer func() { served <- err }()
		err = control.Serve(ctx, path, n)
	})
	var result error // what the server ended with, once done is closed
	var listening atomic.Bool
	done := make(chan struct{})
	go func() {
		result = <-served
		// A failure to start is the caller's to report; one later is
		// only logged, as the node keeps running without its socket.
		if result != nil && ctx.Err() == nil && listening.Load() {
			n.log.Error("control socket", "err", result)
		}
		close(done)
	}()
	stop = func() {
		cancel()
		<-done
	}

	deadline := time.Now().Add(controlReadyTimeout)
	for {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			listening.Store(true)
			return stop, nil
		}
		select {
		case <-done:
			cancel()
			if result == nil {
				result = errors.New("the server ended at once")
			}
			return nil, fmt.Errorf("control socket %s: %w", path, result)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("control socket %s: not listening after %v", path, controlReadyTimeout)
		}
	}
}
