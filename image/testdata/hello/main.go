// Command hello is a stand-in /init for boot tests: it prints a marker line
// on the console with the uptime and the module count, then powers off.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

func main() {
	con, err := os.OpenFile("/dev/console", os.O_WRONLY, 0)
	if err != nil {
		con = os.Stdout
	}
	syscall.Mount("proc", "/proc", "proc", 0, "")
	up, _ := os.ReadFile("/proc/uptime")
	_, herr := os.Stat("/usr/sbin/haproxy")
	deps, _ := os.ReadFile("/lib/modules/" + release() + "/modules.dep")
	fmt.Fprintf(con, "TANDEM-HELLO uptime=%s haproxy=%v modules=%d\n",
		strings.Fields(string(up) + " ?")[0], herr == nil, strings.Count(string(deps), "\n"))
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

func release() string {
	var u syscall.Utsname
	syscall.Uname(&u)
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
