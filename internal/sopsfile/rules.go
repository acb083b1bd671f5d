package sopsfile

import (
	"errors"
	"github.com/keycycle/keycycle/internal/repo"
	"path/filepath"
	"strings"

	"github.com/getsops/sops/v3/config"
)

// WantedFor returns the key groups the creation rule of configPath wants
// for file, deciding exactly as `sops updatekeys` decides: the same loader,
// the path made absolute and then relative to the config's folder.
func WantedFor(configPath, file string) (*repo.Wanted, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	conf, err := config.LoadCreationRuleForFile(configPath, abs, nil)
	if err != nil {
		if strings.Contains(err.Error(), "no matching creation rules found") {
			return nil, repo.ErrNoRule
		}
		return nil, errors.New(oneLine(err.Error()))
	}
	if conf == nil {
		return nil, repo.ErrNoRule
	}
	return &repo.Wanted{Groups: groupsOf(conf.KeyGroups), ShamirThreshold: conf.ShamirThreshold}, nil
}

// Backend is the sops-library side of a repo.Load.
type Backend struct{}

// ParseFile implements repo.Backend.
func (Backend) ParseFile(path string, data []byte) (*repo.File, error) { return Parse(path, data) }

// Wanted implements repo.Backend.
func (Backend) Wanted(configPath, file string) (*repo.Wanted, error) {
	return WantedFor(configPath, file)
}

var _ repo.Backend = Backend{}
