//go:build failpoints

package failpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Env names the failpoint to trigger: NAME:N kills the process at the
// Nth Hit(NAME).
const Env = "KEYCYCLE_FAILPOINT"

// armed is read once from the environment; hits counts Hit(armed.name).
// Package state is confined to this test-only build.
var (
	armed = sync.OnceValues(func() (string, int64) {
		name, n, ok := strings.Cut(os.Getenv(Env), ":")
		if !ok {
			return "", 0
		}
		at, err := strconv.ParseInt(n, 10, 64)
		if err != nil || at < 1 {
			return "", 0
		}
		return name, at
	})
	hits atomic.Int64
)

// Hit kills the process with SIGKILL at the Nth hit of the armed name.
func Hit(name string) {
	want, at := armed()
	if want == "" || name != want {
		return
	}
	if hits.Add(1) == at {
		fmt.Fprintf(os.Stderr, "failpoint: killed at %s:%d\n", name, at)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
