// Command tandem-image builds the tandem appliance images (see package image).
package main

import (
	"fmt"
	"os"

	"tandem/image"
)

func main() {
	if err := image.Run(os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tandem-image:", err)
		os.Exit(1)
	}
}
