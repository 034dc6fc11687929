package boot

import (
	"path"
	"strings"
	"testing"
)

// Every mount's parent mountpoint (if in the table) must come first, so
// UnmountAll's reverse order removes children before parents.
func TestDefaultMountsOrder(t *testing.T) {
	pos := map[string]int{}
	for i, m := range DefaultMounts {
		if !path.IsAbs(m.Target) || path.Clean(m.Target) != m.Target {
			t.Errorf("target %q is not a clean absolute path", m.Target)
		}
		if _, dup := pos[m.Target]; dup {
			t.Errorf("%s twice", m.Target)
		}
		pos[m.Target] = i
	}
	for i, m := range DefaultMounts {
		for p := path.Dir(m.Target); p != "/"; p = path.Dir(p) {
			if j, ok := pos[p]; ok && j > i {
				t.Errorf("%s (row %d) before its parent %s (row %d)", m.Target, i, p, j)
			}
		}
	}
	for _, want := range []string{"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/run", "/tmp", "/sys/fs/cgroup"} {
		if _, ok := pos[want]; !ok {
			t.Errorf("%s missing from DefaultMounts", want)
		}
	}
	pts := DefaultMounts[pos["/dev/pts"]]
	if !strings.Contains(pts.Data, "newinstance") || !strings.Contains(pts.Data, "ptmxmode=0666") {
		t.Errorf("devpts options %q", pts.Data)
	}
}

func TestParseMountinfo(t *testing.T) {
	in := `22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw
23 1 0:22 / /mnt/with\040space rw - tmpfs tmpfs rw
bad line
`
	set, err := parseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !set["/proc"] || !set["/mnt/with space"] || len(set) != 2 {
		t.Errorf("got %v", set)
	}
	if got := unescapeMountinfo(`a\134b\`); got != `a\b\` {
		t.Errorf("unescape = %q", got)
	}
}
