package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// findConfig returns the .sops.yaml a command works on: in --repo DIR when
// given (DIR itself, no walking), else the nearest one upward from the
// working directory, as sops finds it.
func findConfig(repoFlag string) (string, error) {
	if repoFlag != "" {
		st, err := os.Stat(repoFlag)
		if err != nil {
			return "", errorf("pass the folder that holds .sops.yaml", "cannot read --repo %s: %v", repoFlag, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return "", errorf("--repo takes the folder that holds .sops.yaml, not a file", "--repo %s is not a folder", repoFlag)
		}
		p := filepath.Join(repoFlag, ".sops.yaml")
		if _, err := os.Stat(p); err != nil {
			return "", errorf("run keycycle in your secrets repository, or pass --repo DIR; 'keycycle demo' shows one",
				"no .sops.yaml in %s", repoFlag)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	p, err := sopsconfig.FindUp(wd)
	if err != nil {
		return "", errorf("run keycycle in your secrets repository, or pass --repo DIR; 'keycycle demo' shows one",
			"no .sops.yaml in %s or any folder above it", wd)
	}
	return p, nil
}

// loadRepo finds and reads the secrets repository for a command.
func loadRepo(ctx context.Context, repoFlag string, exclude []string) (*repo.Repo, error) {
	cfg, err := findConfig(repoFlag)
	if err != nil {
		return nil, err
	}
	r, err := repo.Load(ctx, cfg, sopsfile.Backend{}, repo.Options{Exclude: exclude})
	if err != nil {
		return nil, errorf("check that the folder is readable", "cannot read the repository at %s: %v", filepath.Dir(cfg), err)
	}
	return r, nil
}

// relToWD is p relative to the working directory when it lies below it
// (what the user typed, most often), and ok; else p and false.
func relToWD(p string) (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return p, false
	}
	if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
		return rel, true
	}
	return p, false
}
