package main

import "tandem/init/control"

type statusT = control.Status
