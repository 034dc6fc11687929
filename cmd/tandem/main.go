// Command tandem is the appliance: PID 1 in the image, and the operator's
// command line everywhere.
package main

import (
	"os"

	"tandem/init/cli"
)

func main() { os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
