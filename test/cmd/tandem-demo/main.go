// Command tandem-demo is the running part of `make demo`: the seed
// document's pair as two appliance VMs booted from the image that
// tandem-image built (-out) and the disks tandem-image seed prepared
// (-disks), with a client and two web servers in network namespaces.
// With -netns it runs the pair as two `tandem run` processes in network
// namespaces instead, without an image.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	netns := flag.Bool("netns", false, "run the pair in network namespaces instead of VMs")
	out := flag.String("out", "out", "tandem-image build's output folder")
	disks := flag.String("disks", "out/haproxy1.img,out/haproxy2.img", "the two nodes' seeded disk images")
	flag.Parse()
	var err error
	if *netns {
		err = runNetns()
	} else {
		d := strings.Split(*disks, ",")
		if len(d) != 2 {
			err = fmt.Errorf("-disks wants two images, got %q", *disks)
		} else {
			err = runVMs(*out, [2]string{d[0], d[1]})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }
