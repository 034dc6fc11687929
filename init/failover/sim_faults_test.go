package failover

import "time"

// faults injects a random schedule of faults and repairs into s until its
// end. Calm and stormy stretches alternate so that both overlapping faults
// and quiet periods long enough for the liveness check occur.
func (s *sim) faults() {
	var next func()
	next = func() {
		s.fault()
		gap := time.Duration(s.rng.ExpFloat64() * float64(40*time.Millisecond))
		if s.rng.Intn(10) < 3 {
			gap = time.Duration(s.rng.ExpFloat64() * float64(500*time.Millisecond))
		}
		s.at(gap, next)
	}
	s.at(s.uniform(0, 200*time.Millisecond), next)
}

// repairAfter is how long a fault lasts before its repair.
func (s *sim) repairAfter() time.Duration {
	return s.uniform(time.Millisecond, 300*time.Millisecond)
}

func (s *sim) fault() {
	i := s.rng.Intn(2)
	n := s.nodes[i]
	paths := []Path{PathInterlink, PathLAN}
	switch s.rng.Intn(12) {
	case 0, 1: // partition one path
		p := paths[s.rng.Intn(2)]
		s.paths[p].up = false
		s.change("partition %s", p)
		s.at(s.repairAfter(), func() { s.paths[p].up = true; s.change("heal %s", p) })
	case 2: // loss on one path
		p := paths[s.rng.Intn(2)]
		loss := []float64{0.05, 0.2, 0.4}[s.rng.Intn(3)]
		s.paths[p].loss = loss
		s.change("loss %.2f on %s", loss, p)
		s.at(s.repairAfter(), func() { s.paths[p].loss = 0; s.change("no loss on %s", p) })
	case 3: // crash, restart later
		if n.up {
			s.crash(i, false)
			s.at(s.uniform(time.Millisecond, 400*time.Millisecond), func() {
				if !n.up {
					s.start(i)
				}
			})
		}
	case 4: // graceful stop, restart later
		if n.up {
			s.crash(i, true)
			s.at(s.uniform(time.Millisecond, 400*time.Millisecond), func() {
				if !n.up {
					s.start(i)
				}
			})
		}
	case 5, 6: // HAProxy dies, the supervisor brings it back
		if n.up && n.haproxyOK {
			gen := n.gen
			n.haproxyOK = false
			s.change("%s haproxy down", n.cfg.Node)
			s.step(i, HAProxyDown{Now: s.now, Reason: "exited"})
			s.at(s.repairAfter(), func() {
				if n.gen == gen && n.up {
					n.haproxyOK = true
					s.change("%s haproxy up", n.cfg.Node)
					s.step(i, HAProxyUp{Now: s.now})
				}
			})
		}
	case 7: // data link down
		if n.linkUp {
			n.linkUp = false
			s.change("%s data link down", n.cfg.Node)
			s.step(i, DataLink{Now: s.now, Up: false})
			s.at(s.repairAfter(), func() {
				n.linkUp = true
				s.change("%s data link up", n.cfg.Node)
				s.step(i, DataLink{Now: s.now, Up: true})
			})
		}
	case 8: // operator standby, later online (which also clears bans)
		if n.up {
			gen := n.gen
			s.change("%s operator standby", n.cfg.Node)
			s.step(i, OperatorStandby{Now: s.now})
			s.at(s.repairAfter(), func() {
				if n.gen == gen {
					s.change("%s operator online", n.cfg.Node)
					s.step(i, OperatorOnline{Now: s.now})
				}
			})
		}
	case 9: // a third host claims the VIP for a while
		d := s.uniform(time.Millisecond, 100*time.Millisecond)
		s.rogue = s.now.Add(d)
		s.change("rogue host claims the VIP for %v", d)
		for j, o := range s.nodes {
			if o.up && o.holds && s.connected(PathLAN) {
				s.step(j, ForeignClaim{Now: s.now})
			}
		}
		s.at(d, func() { s.change("rogue host gone") })
	case 10: // something removed the VIP from the holder's interface
		if n.up && n.holds {
			n.holds = false
			s.logf("%s VIP removed", n.cfg.Node)
			s.step(i, VIPLost{Now: s.now})
		}
	case 11: // operator online (clears a ban early)
		if n.up {
			s.change("%s operator online", n.cfg.Node)
			s.step(i, OperatorOnline{Now: s.now})
		}
	}
}
