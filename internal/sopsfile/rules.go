package sopsfile

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/getsops/sops/v3/config"
)

// Wanted is what a creation rule asks for a file, as sops's own config
// loader resolves it (anchors, flat key fields, merge, duplicates).
type Wanted struct {
	Groups          [][]MasterKey `json:"key_groups"`
	ShamirThreshold int           `json:"shamir_threshold,omitempty"`
}

// ErrNoRule means no creation rule matches the file.
var ErrNoRule = errors.New("no creation rule matches the file")

// WantedFor returns the key groups the creation rule of configPath wants
// for file, deciding exactly as `sops updatekeys` decides: the same loader,
// the path made absolute and then relative to the config's folder.
func WantedFor(configPath, file string) (*Wanted, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	conf, err := config.LoadCreationRuleForFile(configPath, abs, nil)
	if err != nil {
		if strings.Contains(err.Error(), "no matching creation rules found") {
			return nil, ErrNoRule
		}
		return nil, errors.New(oneLine(err.Error()))
	}
	if conf == nil {
		return nil, ErrNoRule
	}
	return &Wanted{Groups: groupsOf(conf.KeyGroups), ShamirThreshold: conf.ShamirThreshold}, nil
}
