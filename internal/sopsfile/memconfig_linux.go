package sopsfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// memFile puts data in an anonymous memory file and returns a path that
// opens it afresh on every read.
func memFile(data []byte) (string, func() error, error) {
	fd, err := unix.MemfdCreate("keycycle-sops-config", unix.MFD_CLOEXEC)
	if err != nil {
		return "", nil, fmt.Errorf("cannot hold the config in memory: %w", err)
	}
	f := os.NewFile(uintptr(fd), "keycycle-sops-config")
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return "", nil, fmt.Errorf("cannot hold the config in memory: %w", err)
	}
	return fmt.Sprintf("/proc/self/fd/%d", fd), f.Close, nil
}
