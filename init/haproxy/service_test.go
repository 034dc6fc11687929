package haproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tandem/init/supervise"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

type fixture struct {
	svc      *Service
	frontend string // host:port of the user frontend
	user     string // path of the user config
	ring     *supervise.Ring
}

func userConfig(frontendPort uint16, backend, peerTable string) string {
	return fmt.Sprintf(`global
    maxconn 1000
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend st
    stick-table type ip size 1k expire 1m%s
frontend fe
    bind 127.0.0.1:%d
    http-request track-sc0 src table st
    default_backend be
backend be
    server s1 %s
`, peerTable, frontendPort, backend)
}

// startHAProxy starts a Service for a user config whose frontend proxies to
// backend, and waits for Up.
func startHAProxy(t *testing.T, backend string, tune func(*Config)) *fixture {
	t.Helper()
	needHAProxy(t)
	dir := t.TempDir()
	fport := freePort(t)
	user := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, user, userConfig(fport, backend, " peers tandem"))
	ring := supervise.NewRing(500)
	cfg := Config{
		UserConfig: user,
		RunDir:     filepath.Join(dir, "run"),
		LocalPeer:  "n1",
		Peers:      []Peer{{Name: "n1", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))}},
		HealthAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t)),
		Ring:       ring,
		Backoff:    supervise.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
	}
	if tune != nil {
		tune(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("Stop() = %v", err)
		}
		if t.Failed() {
			for _, l := range ring.Lines(50) {
				t.Logf("log: %s %s", l.Source, l.Text)
			}
		}
	})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, frontend: fmt.Sprintf("127.0.0.1:%d", fport), user: user, ring: ring}
}

// waitEvent returns the next event, failing if it is not of kind.
func waitEvent(t *testing.T, s *Service, kind EventKind, within time.Duration) Event {
	t.Helper()
	select {
	case ev := <-s.Events():
		if ev.Kind != kind {
			t.Fatalf("event = %v, want %v", ev, kind)
		}
		return ev
	case <-time.After(within):
		t.Fatalf("no %v event within %v (status %+v)", kind, within, s.Status())
	}
	return Event{}
}

func backend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func workerPID(t *testing.T, s *Service) int {
	t.Helper()
	st := s.Status()
	if len(st.WorkerPIDs) != 1 {
		t.Fatalf("WorkerPIDs = %v, want one worker", st.WorkerPIDs)
	}
	return st.WorkerPIDs[0]
}

func TestServiceStartsReadyAndStatus(t *testing.T) {
	be := backend(t)
	f := startHAProxy(t, be.Listener.Addr().String(), nil)
	up := waitEvent(t, f.svc, Up, 10*time.Second)
	t.Logf("Start to Ready: %v", up.Took)
	st := f.svc.Status()
	if st.State != StateReady || st.PID == 0 || len(st.WorkerPIDs) != 1 || !strings.HasPrefix(st.Version, "2.") || st.ReadySince.IsZero() || st.Restarts != 0 {
		t.Errorf("Status() = %+v, want ready with master, one worker, version", st)
	}
	resp, err := http.Get("http://" + f.frontend + "/")
	if err != nil {
		t.Fatalf("GET through HAProxy: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("GET through HAProxy = %d %q, want 200 ok", resp.StatusCode, body)
	}
	// HAProxy's own output reaches the ring.
	found := false
	for _, l := range f.ring.Lines(0) {
		found = found || (l.Source == "haproxy" && strings.Contains(l.Text, "Loading success"))
	}
	if !found {
		t.Errorf("ring lacks HAProxy's startup notice: %v", f.ring.Lines(0))
	}
}

func TestServiceKillMasterIsDownAtOnce(t *testing.T) {
	f := startHAProxy(t, "127.0.0.1:9", nil)
	waitEvent(t, f.svc, Up, 10*time.Second)
	pid := f.svc.Status().PID
	t0 := time.Now()
	syscall.Kill(pid, syscall.SIGKILL)
	down := waitEvent(t, f.svc, Down, 2*time.Second)
	lat := down.At.Sub(t0)
	t.Logf("kill -9 master to Down: %v (%s)", lat, down.Reason)
	if lat > 100*time.Millisecond {
		t.Errorf("Down after %v, want at once", lat)
	}
	up := waitEvent(t, f.svc, Up, 10*time.Second)
	st := f.svc.Status()
	if st.PID == pid || st.Restarts != 1 || st.State != StateReady {
		t.Errorf("after restart Status() = %+v, want new master, 1 restart, ready", st)
	}
	t.Logf("restart to Ready: %v", up.Took)
}

func TestServiceKillWorkerIsDownAtOnce(t *testing.T) {
	f := startHAProxy(t, "127.0.0.1:9", nil)
	waitEvent(t, f.svc, Up, 10*time.Second)
	w := workerPID(t, f.svc)
	t0 := time.Now()
	syscall.Kill(w, syscall.SIGKILL)
	// The 2.6 master exits when a worker dies (exit-on-failure).
	down := waitEvent(t, f.svc, Down, 2*time.Second)
	lat := down.At.Sub(t0)
	t.Logf("kill -9 worker to Down: %v (%s)", lat, down.Reason)
	if lat > 200*time.Millisecond {
		t.Errorf("Down after %v, want at once", lat)
	}
	waitEvent(t, f.svc, Up, 10*time.Second)
}

func testHang(t *testing.T, interval time.Duration) {
	f := startHAProxy(t, "127.0.0.1:9", func(c *Config) {
		c.Probe = Probe{Interval: interval, Timeout: interval, Failures: 3}
	})
	waitEvent(t, f.svc, Up, 10*time.Second)
	w := workerPID(t, f.svc)
	t0 := time.Now()
	syscall.Kill(w, syscall.SIGSTOP)
	hung := waitEvent(t, f.svc, Hung, 5*time.Second)
	lat := hung.At.Sub(t0)
	t.Logf("SIGSTOP worker to Hung (probe every %v): %v (%s)", interval, lat, hung.Reason)
	if limit := time.Duration(5) * 2 * interval; lat > limit+100*time.Millisecond {
		t.Errorf("Hung after %v, want within about %v", lat, limit)
	}
	down := waitEvent(t, f.svc, Down, 2*time.Second)
	if !strings.Contains(down.Reason, "hung") {
		t.Errorf("Down reason = %q, want it to say hung", down.Reason)
	}
	waitEvent(t, f.svc, Up, 10*time.Second)
	// The stopped worker was killed with its master, not left behind.
	if err := syscall.Kill(w, 0); err == nil && !zombie(w) {
		t.Errorf("hung worker %d still alive", w)
	}
}

func TestServiceHungWorkerDetected(t *testing.T)     { testHang(t, DefaultProbeInterval) }
func TestServiceHungWorkerDetectedFast(t *testing.T) { testHang(t, 20*time.Millisecond) }

// Five reloads under back-to-back requests on fresh connections: none may fail.
func TestServiceReloadDropsNothing(t *testing.T) {
	be := backend(t)
	f := startHAProxy(t, be.Listener.Addr().String(), nil)
	waitEvent(t, f.svc, Up, 10*time.Second)

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + f.frontend + "/")
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	before := f.svc.Status()
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := f.svc.Reload(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Reload %d: %v", i+1, err)
		}
		ev := waitEvent(t, f.svc, Reloaded, time.Second)
		t.Logf("reload %d took %v", i+1, ev.Took)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("requests during 5 reloads: %d ok, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d requests failed during reloads (first: %v)", failed.Load(), firstErr.Load())
	}
	if ok.Load() < 50 {
		t.Errorf("only %d requests succeeded, the load was too light to prove anything", ok.Load())
	}
	after := f.svc.Status()
	if after.PID != before.PID || after.State != StateReady || after.Restarts != 0 {
		t.Errorf("after reloads Status() = %+v, want same master %d, ready, no restarts", after, before.PID)
	}
}

func TestServiceReloadRefusesBadConfig(t *testing.T) {
	be := backend(t)
	f := startHAProxy(t, be.Listener.Addr().String(), nil)
	waitEvent(t, f.svc, Up, 10*time.Second)
	pid := f.svc.Status().PID
	writeFile(t, f.user, "global\n    bogus_keyword 1\n")
	err := f.svc.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bogus_keyword") {
		t.Fatalf("Reload(bad config) = %v, want HAProxy's complaint", err)
	}
	ev := waitEvent(t, f.svc, ConfigError, time.Second)
	if !strings.Contains(ev.Reason, "bogus_keyword") {
		t.Errorf("ConfigError reason = %q", ev.Reason)
	}
	st := f.svc.Status()
	if st.PID != pid || st.State != StateReady || !strings.Contains(st.LastError, "bogus_keyword") {
		t.Errorf("Status() = %+v, want the old HAProxy still ready with the error noted", st)
	}
	if resp, err := http.Get("http://" + f.frontend + "/"); err != nil {
		t.Errorf("GET after refused reload: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestServiceConfigErrorBlocksStartUntilFixed(t *testing.T) {
	needHAProxy(t)
	dir := t.TempDir()
	user := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, user, "global\n    bogus_keyword 1\n")
	svc, err := New(Config{
		UserConfig: user, RunDir: filepath.Join(dir, "run"),
		HealthAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t)),
		Backoff:    supervise.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, svc, ConfigError, 5*time.Second)
	if !strings.Contains(ev.Reason, "bogus_keyword") {
		t.Errorf("ConfigError reason = %q", ev.Reason)
	}
	time.Sleep(150 * time.Millisecond) // several retries, reported once
	if st := svc.Status(); st.State != StateConfigError || st.PID != 0 {
		t.Errorf("Status() = %+v, want config-error and no process", st)
	}
	writeFile(t, user, userConfig(freePort(t), "127.0.0.1:9", ""))
	waitEvent(t, svc, Up, 5*time.Second)
}

func TestStopIsGraceful(t *testing.T) {
	f := startHAProxy(t, "127.0.0.1:9", nil)
	waitEvent(t, f.svc, Up, 10*time.Second)
	st := f.svc.Status()
	t0 := time.Now()
	if err := f.svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("soft stop took %v", time.Since(t0))
	if got := f.svc.Status(); got.State != StateStopped || got.PID != 0 {
		t.Errorf("Status() after Stop = %+v", got)
	}
	for _, w := range st.WorkerPIDs {
		if syscall.Kill(w, 0) == nil && !zombie(w) {
			t.Errorf("worker %d survived Stop", w)
		}
	}
}
