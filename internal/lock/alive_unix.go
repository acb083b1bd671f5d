//go:build unix

package lock

import (
	"errors"
	"syscall"
)

// alive reports whether a process with this PID runs on this host. A
// process of another user (EPERM) counts as alive.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
