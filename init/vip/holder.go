package vip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Config describes the VIPs a Holder manages and how it announces them.
type Config struct {
	// VIPs are added and removed together.
	VIPs []VIP
	// Schedule is the announcement burst after each Acquire, as offsets
	// from the Acquire, ascending. Nil means DefaultSchedule; an empty
	// non-nil slice means no burst.
	Schedule []time.Duration
	// Refresh is the interval of the announcements repeated while held.
	// Zero means DefaultRefresh; negative disables them.
	Refresh time.Duration
	// Logger receives announcement failures. Nil means slog.Default().
	Logger *slog.Logger
}

// Holder adds, announces and removes a set of VIPs. Its methods are safe
// for concurrent use.
type Holder struct {
	vips     []VIP
	schedule []time.Duration
	refresh  time.Duration
	log      *slog.Logger

	mu           sync.Mutex // serialises Acquire and Release
	held         bool
	heldMu       sync.RWMutex // guards held for Held, which the watcher calls
	stopAnnounce context.CancelFunc
	announceDone chan struct{}
}

// NewHolder validates cfg and returns a Holder that holds nothing yet.
func NewHolder(cfg Config) (*Holder, error) {
	if err := validateAll(cfg.VIPs); err != nil {
		return nil, err
	}
	h := &Holder{
		vips:     slices.Clone(cfg.VIPs),
		schedule: slices.Clone(cfg.Schedule),
		refresh:  cfg.Refresh,
		log:      cfg.Logger,
	}
	if h.schedule == nil {
		h.schedule = slices.Clone(DefaultSchedule)
	}
	if !slices.IsSorted(h.schedule) || (len(h.schedule) > 0 && h.schedule[0] < 0) {
		return nil, errors.New("vip: announcement schedule must be ascending and not negative")
	}
	if h.refresh == 0 {
		h.refresh = DefaultRefresh
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// VIPs returns the VIPs the Holder manages.
func (h *Holder) VIPs() []VIP { return slices.Clone(h.vips) }

// Held reports whether the last Acquire succeeded and no Release
// followed.
func (h *Holder) Held() bool {
	h.heldMu.RLock()
	defer h.heldMu.RUnlock()
	return h.held
}

func (h *Holder) setHeld(v bool) {
	h.heldMu.Lock()
	h.held = v
	h.heldMu.Unlock()
}

// Acquire adds every VIP to its link (an address already present is
// fine) and starts the announcement burst followed by the periodic
// refresh. It is cheap and safe to call again while held: that re-adds
// whatever is missing and restarts the burst, which is how the runtime
// reacts to a Watcher reporting a lost VIP.
//
// On error the Holder is not held and does not announce; addresses that
// were added stay. Call Release to clean up, or Acquire to retry.
func (h *Holder) Acquire(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopAnnouncing()
	var errs []error
	for _, v := range h.vips {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("vip: acquire: %w", err))
			break
		}
		if err := addAddress(v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.setHeld(false)
		return err
	}
	h.setHeld(true)
	actx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.stopAnnounce, h.announceDone = cancel, done
	go func() {
		defer close(done)
		announceLoop(actx, h.vips, h.schedule, h.refresh, h.log)
	}()
	return nil
}

// Release stops the announcements and removes every VIP from its link
// (an address already gone is fine). It marks the Holder not held first,
// so a Watcher does not report the removal as a loss.
func (h *Holder) Release(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setHeld(false)
	h.stopAnnouncing()
	var errs []error
	for _, v := range h.vips {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("vip: release: %w", err))
			break
		}
		if err := removeAddress(v); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopAnnouncing ends the announcement goroutine and waits for it, so no
// frame claims a VIP after Release returns. Called with h.mu held.
func (h *Holder) stopAnnouncing() {
	if h.stopAnnounce == nil {
		return
	}
	h.stopAnnounce()
	<-h.announceDone
	h.stopAnnounce, h.announceDone = nil, nil
}

// Watch starts a Watcher for the Holder's VIPs that reports a VIP lost
// only while the Holder holds it.
func (h *Holder) Watch(ctx context.Context) (*Watcher, error) {
	return Watch(ctx, h.vips, h.Held)
}
