package cluster

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tandem/test/testbed"
)

// haproxyCommand runs one command on node's HAProxy stats socket.
func haproxyCommand(p *Pair, node, cmd string) (string, error) {
	sock := filepath.Join(p.Bed.Dir(), node, "state", "run", "stats.sock")
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", cmd); err != nil {
		return "", err
	}
	var b strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String(), nil
}

// TestPeersSyncLogsAndReload: the stick table filled by client requests on
// the active node appears on the standby through the peers section over
// the interlink; the request log reaches `tandem logs`; and `tandem
// reload` reloads HAProxy without a failed request.
func TestPeersSyncLogsAndReload(t *testing.T) {
	p, active := setup(t, Options{})
	other := Other(active)
	for range 5 {
		if _, err := p.Bed.Get(testbed.VIPURL, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	client := testbed.DataAddrs[testbed.Client].Addr().String()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := haproxyCommand(p, other, "show table per_client")
		if err == nil && strings.Contains(out, "key="+client) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby's stick table has no entry for the client %s after 5 s: %v\n%s", client, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	out, err := p.Run(active, "logs", "-n", "500")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "www webs/web") {
		t.Errorf("tandem logs has no HAProxy request log line:\n%s", out)
	}
	if !strings.Contains(out, "role standby -> probing") && !strings.Contains(out, "role probing -> active") {
		t.Errorf("tandem logs has no role change line:\n%s", out)
	}

	probe := startProbe(t, p)
	for range 3 {
		if out, err := p.Run(active, "reload"); err != nil {
			t.Fatalf("tandem reload: %v\n%s", err, out)
		}
	}
	time.Sleep(300 * time.Millisecond)
	res := stopProbe(t, probe)
	if res.Failed != 0 {
		t.Errorf("%d requests failed across 3 reloads: %v", res.Failed, res)
	}
	s, err := p.Status(active)
	if err != nil {
		t.Fatal(err)
	}
	if s.HAProxy.State != "ready" || p.Holder() != active {
		t.Errorf("after reloads: haproxy %s, holder %s; want ready and %s", s.HAProxy.State, p.Holder(), active)
	}
}
