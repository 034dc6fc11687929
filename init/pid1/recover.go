package pid1

import (
	"fmt"
	"runtime/debug"
)

// runRecovered runs fn and turns a panic into an error (logged with its
// stack): no part of PID 1 may end the process.
func runRecovered(name string, log func(string), fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log(fmt.Sprintf("%s: panic: %v\n%s", name, r, debug.Stack()))
			err = fmt.Errorf("%s: panic: %v", name, r)
		}
	}()
	return fn()
}

// step runs one boot step, logging its panic or error; boot goes on.
func (p *pid1) step(name string, fn func() error) {
	if err := runRecovered(name, p.log.Log, fn); err != nil {
		p.log.Logf("%s: %v", name, err)
	}
}
