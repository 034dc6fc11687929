// Command tandem is the appliance: PID 1 in the image, and the operator's
// command line everywhere.
package main

import (
	"os"
	"path/filepath"

	"tandem/init/cli"
	"tandem/init/pid1"
)

func main() {
	if os.Getpid() == 1 || filepath.Base(os.Args[0]) == "init" {
		pid1.Main() // never returns
	}
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
