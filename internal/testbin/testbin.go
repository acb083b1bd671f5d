// Package testbin gives tests a program of this module to run as a
// separate process (kill tests, signal tests, a release-like build),
// linked once and kept in Go's build cache; and MoreParallel, for the
// TestMain of packages whose tests mostly wait on such processes.
//
// Build asks 'go run -exec echo FLAGS PKG' for the program: go run
// builds it as 'go build' would, then "runs" it through echo, which
// prints where the executable is. Since Go 1.24 go run keeps the
// executables it links in the build cache, keyed like every build action
// (sources, flags, toolchain), the same cache 'go tool' serves sops
// from. So a test package, every other test package and every later run
// of the suite share one link per program and flags, where a 'go build'
// per test linked the ~70 MB binary every time (5–6 s of CPU each here).
// The executable is the cache's: run it, never write to it.
package testbin

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Keycycle returns cmd/keycycle built with flags (e.g. "-tags",
// "failpoints").
func Keycycle(flags ...string) (string, error) {
	return Build("./cmd/keycycle", flags...)
}

// Build returns the executable of the main package pkg (relative to the
// module root, e.g. "./cmd/keycycle") built with flags. Within a test
// binary each program and flags are asked for once.
func Build(pkg string, flags ...string) (string, error) {
	key := strings.Join(append([]string{pkg}, flags...), "\x00")
	mu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{}
		builds[key] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.path, b.err = goRun(pkg, flags) })
	return b.path, b.err
}

// builds memoises Build for the life of the test binary (a cache of a
// cache: test helpers only, never a release build).
var (
	mu     sync.Mutex
	builds = map[string]*build{}
)

type build struct {
	once sync.Once
	path string
	err  error
}

func goRun(pkg string, flags []string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: %q, %v", gomod, err)
	}
	args := append(append([]string{"run", "-exec", "echo"}, flags...), pkg)
	// The run that links names the executable in its work folder, gone
	// when go exits; the link is in the cache by then, and the next run
	// names the cache's copy.
	var path string
	for range 2 {
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Dir(gomod)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		path = strings.TrimSpace(string(out))
		if !filepath.IsAbs(path) {
			return "", fmt.Errorf("go %s printed %q, not the executable's path", strings.Join(args, " "), path)
		}
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("go %s: %s is no executable (is the build cache off?)", strings.Join(args, " "), path)
}

// MoreParallel is for a TestMain whose tests mostly wait on the processes
// they start (keycycle, sops, ssh, git) and on fsync: it parses the test
// flags and, unless -test.parallel was given, runs twice as many parallel
// tests at once as there are CPUs.
func MoreParallel() error {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set {
		return nil
	}
	return flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
}
