package testbed

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nftables table names the faults use in lb1/lb2.
const (
	nftCut  = "tbcut"
	nftLoss = "tbloss"
)

// Links lists a node's interfaces other than lo.
func (b *Bed) Links(node string) ([]string, error) {
	out, err := b.ip(node, "-j", "link", "show")
	if err != nil {
		return nil, err
	}
	var links []struct {
		Name string `json:"ifname"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("testbed: %s: parse ip link: %w", node, err)
	}
	var names []string
	for _, l := range links {
		if l.Name != "lo" {
			names = append(names, l.Name)
		}
	}
	return names, nil
}

// KillHard simulates sudden node death: every link of the node goes down
// (first, so no FIN, RST or goodbye leaves it), then every process in its
// namespace, started by the bed or not, gets SIGKILL. It returns the pids killed.
func (b *Bed) KillHard(node string) ([]int, error) {
	links, err := b.Links(node)
	if err != nil {
		return nil, err
	}
	if err := b.ipBatch(node, prefixEach("link set ", links, " down")); err != nil {
		return nil, err
	}
	b.mu.Lock()
	var mine []*Proc
	for _, p := range b.procs {
		if p.Node == node {
			mine = append(mine, p)
		}
	}
	b.mu.Unlock()
	// Every process the bed started there is in the namespace too.
	pids := killNetnsPids(b.Netns(node))
	for _, p := range mine {
		p.waitTimeout(5 * time.Second)
	}
	if left := netnsPids(b.Netns(node)); len(left) > 0 {
		// A process forked between listing and killing: one more round.
		pids = append(pids, killNetnsPids(b.Netns(node))...)
	}
	return pids, nil
}

// Revive brings all of a node's links back up after KillHard (the node's
// processes stay dead; the test restarts what it needs).
func (b *Bed) Revive(node string) error {
	links, err := b.Links(node)
	if err != nil {
		return err
	}
	return b.ipBatch(node, prefixEach("link set ", links, " up"))
}

// LinkDown sets a node's device down.
func (b *Bed) LinkDown(node, dev string) error {
	_, err := b.ip(node, "link", "set", dev, "down")
	return err
}

// LinkUp sets a node's device up.
func (b *Bed) LinkUp(node, dev string) error {
	_, err := b.ip(node, "link", "set", dev, "up")
	return err
}

// CutInterlink takes the interlink down at both ends (carrier loss, which
// the nodes can see).
func (b *Bed) CutInterlink() error {
	for _, n := range []string{LB1, LB2} {
		if err := b.LinkDown(n, "eth1"); err != nil {
			return err
		}
	}
	return nil
}

// CutInterlinkNft silently drops everything arriving on the interlink at
// both ends with nftables, while the links stay up: a cut the nodes cannot
// see as a carrier change, like a dead switch between them.
func (b *Bed) CutInterlinkNft() error {
	for _, n := range []string{LB1, LB2} {
		if err := b.nft(n, ingressTable(nftCut, "counter drop")); err != nil {
			return err
		}
	}
	return nil
}

// HealInterlink undoes either kind of cut: links up, drop tables gone.
func (b *Bed) HealInterlink() error {
	for _, n := range []string{LB1, LB2} {
		if err := b.LinkUp(n, "eth1"); err != nil {
			return err
		}
		if err := b.nft(n, deleteTable(nftCut)); err != nil {
			return err
		}
	}
	return nil
}

// InterlinkLoss drops each packet arriving on the interlink, at both ends,
// with probability percent/100 (nftables numgen; the host has no netem).
// Each direction is thus lossy by percent, and a round trip such as a ping
// is lost with probability 1-(1-p)². InterlinkLoss(0) removes the loss.
func (b *Bed) InterlinkLoss(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("testbed: InterlinkLoss(%d): want 0..100", percent)
	}
	for _, n := range []string{LB1, LB2} {
		script := deleteTable(nftLoss)
		if percent > 0 {
			script = ingressTable(nftLoss, "numgen random mod 100 < "+strconv.Itoa(percent)+" counter drop")
		}
		if err := b.nft(n, script); err != nil {
			return err
		}
	}
	return nil
}

// BusyCPU keeps both cores busy from inside a node's namespace for d
// (stress-ng, two CPU workers). It returns at once; the process ends by
// itself after d, dies with KillHard, and is killed on Close.
func (b *Bed) BusyCPU(node string, d time.Duration) (*Proc, error) {
	if _, err := exec.LookPath("stress-ng"); err != nil {
		return nil, fmt.Errorf("testbed: BusyCPU needs stress-ng: %w", err)
	}
	secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	// timeout(1) takes fractions of a second; stress-ng's own --timeout does not.
	return b.Start(node, "timeout", "--preserve-status", secs, "stress-ng", "--cpu", "2", "--quiet")
}

// ingressTable replaces table name with one netdev ingress chain on eth1
// holding rule. The "add; delete; add" dance makes it idempotent.
func ingressTable(name, rule string) string {
	return fmt.Sprintf(`table netdev %[1]s {}
delete table netdev %[1]s
table netdev %[1]s {
	chain in {
		type filter hook ingress device "eth1" priority -500;
		%[2]s
	}
}
`, name, rule)
}

func deleteTable(name string) string {
	return fmt.Sprintf("table netdev %[1]s {}\ndelete table netdev %[1]s\n", name)
}

// nft loads a ruleset script in a node's namespace.
func (b *Bed) nft(node, script string) error {
	cmd := exec.Command("ip", "netns", "exec", b.Netns(node), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testbed: %s: nft: %w: %s", node, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// NftCounter returns the packets counted by the first counter of a fault
// table's chain (how many packets a cut or loss dropped on that node).
func (b *Bed) NftCounter(node, table string) (int, error) {
	out, err := b.Exec(node, "nft", "-j", "list", "table", "netdev", table)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Expr []struct {
					Counter *struct {
						Packets int `json:"packets"`
					} `json:"counter"`
				} `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return 0, fmt.Errorf("testbed: %s: parse nft json: %w", node, err)
	}
	for _, item := range doc.Nftables {
		if item.Rule == nil {
			continue
		}
		for _, e := range item.Rule.Expr {
			if e.Counter != nil {
				return e.Counter.Packets, nil
			}
		}
	}
	return 0, fmt.Errorf("testbed: %s: no counter in table %s", node, table)
}

// ipBatch runs several ip commands in one process, so they take effect
// together.
func (b *Bed) ipBatch(node string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	cmd := exec.Command("ip", "-n", b.Netns(node), "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testbed: %s: ip -batch: %w: %s", node, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func prefixEach(pre string, items []string, post string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = pre + s + post
	}
	return out
}

// KillNamed sends sig to every process in a node's namespace whose command
// name (/proc/PID/comm) is name, such as "haproxy" for an HAProxy crash. It
// returns the pids signalled. pidof or killall would not do: they see the
// processes of every namespace on the host.
func (b *Bed) KillNamed(node, name string, sig syscall.Signal) ([]int, error) {
	if err := b.checkNode(node); err != nil {
		return nil, err
	}
	var hit []int
	for _, pid := range netnsPids(b.Netns(node)) {
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		if err := syscall.Kill(pid, sig); err == nil {
			hit = append(hit, pid)
		}
	}
	return hit, nil
}

// Pids lists the processes in a node's namespace.
func (b *Bed) Pids(node string) []int { return netnsPids(b.Netns(node)) }
