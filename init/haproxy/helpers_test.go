package haproxy

import (
	"os"
	"strconv"
	"strings"
)

// zombie reports whether pid has exited but is not yet reaped (orphaned
// workers are reaped by the host's init, not by the test).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}
