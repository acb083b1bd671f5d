package policy

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// Policy is what a repository says beyond .sops.yaml: keycycle.yaml and
// .keycycle/keys.yaml, each optional.
type Policy struct {
	// Config is nil when keycycle.yaml is absent or ConfigErr is set.
	Config    *Config
	ConfigErr error
	// Keys is nil when .keycycle/keys.yaml is absent or KeysErr is set.
	Keys    *Keys
	KeysErr error
	// ConfigFile and KeysFile are the paths relative to the root.
	ConfigFile string
	KeysFile   string
}

// Load reads both files of the repository at root. A file that does not
// parse is reported in ConfigErr or KeysErr (an Errors with lines); the
// returned error is only for a file that exists and cannot be read.
func Load(root string) (*Policy, error) {
	p := &Policy{ConfigFile: ConfigFile, KeysFile: KeysFile}
	cfg, err := LoadConfig(filepath.Join(root, ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil && !isParse(err):
		return nil, err
	default:
		p.Config, p.ConfigErr = cfg, err
	}
	if p.Config != nil {
		p.Config.Path = ConfigFile
	}
	keys, err := LoadKeys(filepath.Join(root, filepath.FromSlash(KeysFile)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil && !isParse(err):
		return nil, err
	default:
		p.Keys, p.KeysErr = keys, err
	}
	relabel(p.ConfigErr, ConfigFile)
	relabel(p.KeysErr, KeysFile)
	return p, nil
}

func isParse(err error) bool {
	var es Errors
	return errors.As(err, &es)
}

// relabel makes the errors name the file relative to the root.
func relabel(err error, file string) {
	var es Errors
	if errors.As(err, &es) {
		for _, e := range es {
			e.File = file
		}
	}
}
