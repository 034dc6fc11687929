package heartbeat

import (
	"runtime"
	"sync"
)

// A locked, high-priority thread can run Go code only while it holds a P.
// When every P is held by a normal-priority thread that the kernel has
// preempted in favour of a CPU hog, the heartbeat thread waits for that
// thread's next time slice: measured under `stress-ng --cpu 2`, 50-130 ms
// stalls with GOMAXPROCS=2, none with a few spare Ps. So while channels run,
// GOMAXPROCS is kept at least NumCPU + 1 per running loop + 2 spare. Idle
// Ps cost nothing; the price is that GC's background workers (a quarter of
// GOMAXPROCS) may use more CPU time during a mark phase.
var procs struct {
	sync.Mutex
	loops int // locked loops of all running channels
}

// reserveProcs accounts for n more locked loops and raises GOMAXPROCS if
// needed. It never lowers GOMAXPROCS (another part of the program may
// have chosen a larger value).
func reserveProcs(n int) int {
	procs.Lock()
	defer procs.Unlock()
	procs.loops += n
	want := runtime.NumCPU() + procs.loops + 2
	if cur := runtime.GOMAXPROCS(0); cur < want {
		runtime.GOMAXPROCS(want)
		return want
	}
	return runtime.GOMAXPROCS(0)
}

// releaseProcs forgets n loops; GOMAXPROCS is left as is.
func releaseProcs(n int) {
	procs.Lock()
	procs.loops -= n
	procs.Unlock()
}
