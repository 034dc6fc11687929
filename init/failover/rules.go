package failover

// The deterministic rules every node evaluates identically from the same
// inputs. They are plain functions so tests can check them on their own.

// Candidate is a node as seen by a rule: its name and whether it is eligible.
type Candidate struct {
	Node     string
	Eligible bool
}

// TieBreak picks which of several eligible nodes, none holding the VIP, may
// probe for it: the preferred node if it is among them, otherwise the lowest
// name. It returns "" for an empty list.
func TieBreak(nodes []string, preferred string) string {
	best, found := "", false
	for _, n := range nodes {
		if preferred != "" && n == preferred {
			return n
		}
		if !found || n < best {
			best, found = n, true
		}
	}
	return best
}

// HolderWinner picks which of several nodes that all hold the VIP keeps it:
// the eligible one if only one is eligible, else (among the eligible ones, or
// all if none is) the preferred node, else the lowest name.
func HolderWinner(holders []Candidate, preferred string) string {
	names := make([]string, 0, len(holders))
	for _, h := range holders {
		if h.Eligible {
			names = append(names, h.Node)
		}
	}
	if len(names) == 0 {
		for _, h := range holders {
			names = append(names, h.Node)
		}
	}
	return TieBreak(names, preferred)
}
