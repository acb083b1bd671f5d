package sopsfile

import (
	"path/filepath"
)

// MemConfig is a .sops.yaml held in memory where sops's own rule loader,
// which only reads a path, can read it: a change plans its files against
// the new config before anything is written, and a dry run writes nothing
// at all. On Linux it is an anonymous memory file (memfd), so nothing
// reaches any file system; elsewhere a file in a fresh private folder of
// the system's temporary directory, removed by Close.
//
// sops matches a file's path against path_regex relative to the config's
// folder, so the files planned against a MemConfig are named to sops by
// RulePath: the same path relative to Path's folder.
type MemConfig struct {
	path string
	root string
	done func() error
}

// NewMemConfig holds data as the config of the repository whose
// .sops.yaml is at configPath.
func NewMemConfig(configPath string, data []byte) (*MemConfig, error) {
	abs, err := filepath.Abs(configPath)
	if err != nil {
		return nil, err
	}
	p, done, err := memFile(data)
	if err != nil {
		return nil, err
	}
	return &MemConfig{path: p, root: filepath.Dir(abs), done: done}, nil
}

// Path is where sops's loader reads the config.
func (m *MemConfig) Path() string { return m.path }

// RulePath is the path to give sops for the repository file abs, so that
// its creation rule is chosen as if the config were at its real place.
func (m *MemConfig) RulePath(abs string) string {
	rel, err := filepath.Rel(m.root, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return abs
	}
	return filepath.Join(filepath.Dir(m.path), rel)
}

// Close releases the memory file.
func (m *MemConfig) Close() error {
	if m == nil || m.done == nil {
		return nil
	}
	err := m.done()
	m.done = nil
	return err
}
