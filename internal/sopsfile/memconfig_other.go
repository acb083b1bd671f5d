//go:build !linux

package sopsfile

import (
	"os"
	"path/filepath"
)

// memFile writes data to a fresh private folder of the system's temporary
// directory (never the repository): only Linux has anonymous memory
// files.
func memFile(data []byte) (string, func() error, error) {
	dir, err := os.MkdirTemp("", "keycycle-config-")
	if err != nil {
		return "", nil, err
	}
	p := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	return p, func() error { return os.RemoveAll(dir) }, nil
}
