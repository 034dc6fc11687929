package runtime

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"tandem/init/supervise"
)

// newLogger logs to the console (w) and into the ring that `tandem logs`
// reads, as one line per record.
func newLogger(w io.Writer, ring *supervise.Ring) *slog.Logger {
	out := io.MultiWriter(w, ring.Writer("tandem"))
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.String("time", a.Value.Time().Format("15:04:05.000"))
			}
			return a
		},
	}))
}

// goSafe runs fn in a goroutine that survives a panic: the runtime never
// dies because one of its parts did. The panic and its stack are logged.
func goSafe(log *slog.Logger, name string, fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic recovered", "in", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		fn()
	}()
}

// formatLines renders ring lines for `tandem logs`.
func formatLines(lines []supervise.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.At.Format(time.DateTime+".000") + " " + l.Source + ": " + l.Text
	}
	return out
}
