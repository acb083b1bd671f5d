package ops

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// noRepoHint is what to do when there is no .sops.yaml to work on.
const noRepoHint = "run keycycle in your secrets repository, or pass --repo DIR; 'keycycle demo' shows one"

// FindConfig returns the .sops.yaml a command works on: in dir when it is
// given (dir itself, no walking), else the nearest one upward from the
// working directory, as sops finds it.
func FindConfig(dir string) (string, error) {
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return "", textutil.Hintf("pass the folder that holds .sops.yaml", "cannot read --repo %s: %v", dir, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return "", textutil.Hintf("--repo takes the folder that holds .sops.yaml, not a file", "--repo %s is not a folder", dir)
		}
		p := filepath.Join(dir, ".sops.yaml")
		if _, err := os.Stat(p); err != nil {
			return "", textutil.Hintf(noRepoHint, "no .sops.yaml in %s", dir)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	p, err := sopsconfig.FindUp(wd)
	if err != nil {
		return "", textutil.Hintf(noRepoHint, "no .sops.yaml in %s or any folder above it", wd)
	}
	return p, nil
}

// findConfigAbs is FindConfig's path made absolute: what a command that
// works below the repository's root (its files, lock and journals) keeps.
func findConfigAbs(dir string) (string, error) {
	p, err := FindConfig(dir)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// LoadRepo finds (as FindConfig) and reads the secrets repository.
func LoadRepo(ctx context.Context, dir string, exclude []string) (*repo.Repo, error) {
	cfg, err := FindConfig(dir)
	if err != nil {
		return nil, err
	}
	r, err := repo.Load(ctx, cfg, sopsfile.Backend{}, repo.Options{Exclude: exclude})
	if err != nil {
		return nil, repoReadError(cfg, err)
	}
	return r, nil
}

// OpenRepo finds (as FindConfig) the secrets repository of a command
// that reads its files one by one (repo.Repo.Each, check.Stream): its
// config read and its files listed, none read yet.
func OpenRepo(dir string, exclude []string) (*repo.Repo, error) {
	cfg, err := FindConfig(dir)
	if err != nil {
		return nil, err
	}
	r, err := repo.Open(cfg, repo.Options{Exclude: exclude})
	if err != nil {
		return nil, repoReadError(cfg, err)
	}
	return r, nil
}

// repoReadError is the error of a repository whose files cannot be read.
func repoReadError(cfg string, err error) error {
	return textutil.Hintf("check that the folder is readable", "cannot read the repository at %s: %v", filepath.Dir(cfg), err)
}

// RelToWD is p relative to the working directory when it lies below it
// (what the user typed, most often), and ok; else p and false.
func RelToWD(p string) (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return p, false
	}
	if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
		return rel, true
	}
	return p, false
}
