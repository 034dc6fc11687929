package pkgroot

import (
	"context"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `haproxy
  PreDepends: dpkg
  Depends: libc6
 |Depends: libsystemd0
  Depends: libelogind0
    libelogind0
  Depends: <perl:any>
  Depends: adduser
  Suggests: vim-haproxy
libc6
  Depends: libgcc-s1
<debconf-2.0>
  Depends: x
libgcc-s1
  Depends: libc6
adduser
  Depends: passwd
`

func TestParseDepends(t *testing.T) {
	got := ParseDepends([]byte(sample))
	want := map[string][]string{
		"haproxy":   {"dpkg", "libc6", "libsystemd0", "adduser"},
		"libc6":     {"libgcc-s1"},
		"libgcc-s1": {"libc6"},
		"adduser":   {"passwd"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseDepends mismatch (-want +got):\n%s", diff)
	}
}

func TestResolveWithApt(t *testing.T) {
	if _, err := exec.LookPath("apt-cache"); err != nil {
		t.Skip("no apt-cache")
	}
	got, err := Resolve(context.Background(), []string{"haproxy"})
	if err != nil {
		t.Skip(err) // no package lists on this host
	}
	has := map[string]bool{}
	for _, p := range got {
		has[p] = true
	}
	for _, p := range []string{"haproxy", "libc6", "libssl3", "liblua5.3-0"} {
		if !has[p] {
			t.Errorf("Resolve(haproxy) = %v, missing %s", got, p)
		}
	}
	for _, p := range []string{"adduser", "perl", "dpkg"} {
		if has[p] {
			t.Errorf("Resolve(haproxy) = %v, should not follow to %s", got, p)
		}
	}
}
