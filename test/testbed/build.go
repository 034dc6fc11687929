package testbed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The helper programs the bed runs in its namespaces.
const (
	progWeb   = "tandem-testweb"
	progProbe = "tandem-probe"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binaries compiles the helper programs once per process and returns the
// directory holding them. The directory name carries the pid so stale ones
// left by earlier (killed) test processes can be recognised and removed.
func binaries() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = build()
	})
	return buildDir, buildErr
}

func build() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	removeStaleBuildDirs()
	dir := filepath.Join(os.TempDir(), "tandem-testbed-bin-"+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testbed: build dir: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", dir+"/",
		"./test/cmd/"+progWeb, "./test/cmd/"+progProbe, "./test/cmd/tandem-forge", "./cmd/tandem")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testbed: go build helpers: %w\n%s", err, out)
	}
	return dir, nil
}

// ModuleRoot asks the go command where the tandem module lives; tests run
// with the package directory as working directory, which is inside it.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("testbed: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("testbed: not inside the tandem module (cwd has no go.mod above it)")
	}
	return filepath.Dir(gomod), nil
}

func removeStaleBuildDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "tandem-testbed-bin-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "tandem-testbed-bin-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		// Signal 0 tells whether the owning process still exists.
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}
