package gpt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func writeDisk(t *testing.T) (string, Layout) {
	t.Helper()
	l := NewLayout(40 << 20)
	l.DiskGUID = Derive([]byte("inputs"), "disk")
	l.PartGUID = Derive([]byte("inputs"), "part")
	l.PartName = "TANDEM"
	file := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(l.DiskSize); err != nil {
		t.Fatal(err)
	}
	if err := Write(f, l); err != nil {
		t.Fatal(err)
	}
	return file, l
}

func TestGUIDString(t *testing.T) {
	if got := ESP.String(); got != "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" {
		t.Errorf("ESP.String() = %s", got)
	}
	if _, err := Parse("nope"); err == nil {
		t.Errorf("Parse(nope) = nil error")
	}
	if Derive([]byte("a"), "disk") == Derive([]byte("a"), "part") {
		t.Errorf("Derive gives the same GUID for different purposes")
	}
}

func TestReadBack(t *testing.T) {
	file, want := writeDisk(t)
	f, _ := os.Open(file)
	defer f.Close()
	got, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Read = %+v, want %+v", got, want)
	}
}

func TestSfdiskAndSgdisk(t *testing.T) {
	_, errS := exec.LookPath("sfdisk")
	_, errG := exec.LookPath("sgdisk")
	if errS != nil && errG != nil {
		t.Skip("neither sfdisk nor sgdisk installed")
	}
	file, l := writeDisk(t)
	if _, err := exec.LookPath("sfdisk"); err == nil {
		out, err := exec.Command("sfdisk", "--dump", file).CombinedOutput()
		if err != nil {
			t.Fatalf("sfdisk --dump: %v\n%s", err, out)
		}
		s := string(out)
		for _, want := range []string{"label: gpt", "label-id: " + l.DiskGUID.String(), "start=        2048", "size=       81920", "type=" + ESP.String(), "uuid=" + l.PartGUID.String(), `name="TANDEM"`} {
			if !strings.Contains(s, want) {
				t.Errorf("sfdisk --dump missing %q:\n%s", want, s)
			}
		}
	}
	if _, err := exec.LookPath("sgdisk"); err == nil {
		out, err := exec.Command("sgdisk", "-v", file).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No problems found") {
			t.Errorf("sgdisk -v: %v\n%s", err, out)
		}
	}
}
