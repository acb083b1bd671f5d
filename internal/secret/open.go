package secret

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/secret/keypath"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Open is the secret domain's view of the repository whose .sops.yaml is
// cfgPath (absolute): its keycycle.yaml read, the identities that open
// its files, stderr for a command generator's.
func Open(cfgPath string, ids []age.Identity, stderr io.Writer) (*Repo, error) {
	root := filepath.Dir(cfgPath)
	pol, err := policy.Load(root)
	if err != nil {
		return nil, err
	}
	if pol.ConfigErr != nil {
		return nil, textutil.Hintf("'keycycle check' shows what is wrong with keycycle.yaml", "%v", pol.ConfigErr)
	}
	return &Repo{Root: root, ConfigPath: cfgPath, Policy: pol.Config, Identities: ids, Stderr: stderr}, nil
}

// FileAndPath checks a command's FILE and PATH arguments and returns
// FILE relative to the root, as Rel does.
func (r *Repo) FileAndPath(file, path string) (string, error) {
	rel, err := r.Rel(file)
	if err != nil {
		return "", textutil.Hintf("name a file inside the repository, e.g. sops/shared.yaml", "%v", err)
	}
	if _, err := keypath.Parse(path); err != nil {
		return "", textutil.Hintf("write the path as sops-nix does: keys joined with '/', e.g. passwords/borg", "%v", err)
	}
	return rel, nil
}

// Value decrypts, in memory, the value at path in file ('secret get').
func (r *Repo) Value(file, path string) (string, error) {
	rel, err := r.FileAndPath(file, path)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(r.Abs(rel))
	if err != nil {
		return "", textutil.Hintf("'keycycle secret list' shows the files and paths", "cannot read %s: %s", rel, textutil.ErrReason(err))
	}
	keys, _ := keypath.Parse(path)
	v, err := sopsfile.GetValue(r.Abs(rel), data, keys, sopsfile.EditOptions{ConfigPath: r.ConfigPath, Identities: r.Identities})
	if err != nil {
		return "", Error(err)
	}
	return v, nil
}

// FileSecrets are the secret paths of one file, as 'secret list' gives
// them (keycycle.secrets/v1).
type FileSecrets struct {
	File    string   `json:"file"`
	Secrets []string `json:"secrets"`
}

// Paths are the names of ss, in order; never nil.
func Paths(ss []repo.Secret) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}

// ListFile lists the secret paths of file (its metadata only: no key is
// needed).
func (r *Repo) ListFile(file string) (FileSecrets, error) {
	rel, err := r.Rel(file)
	if err != nil {
		return FileSecrets{}, textutil.Hintf("name a file inside the repository", "%v", err)
	}
	f, err := sopsfile.Read(r.Abs(rel))
	if err != nil {
		return FileSecrets{}, textutil.Hintf("name a sops-encrypted file; 'keycycle secret list' lists them all", "%s: %v", rel, err)
	}
	return FileSecrets{File: rel, Secrets: Paths(f.Secrets)}, nil
}

// Error gives an error of a secret command its hint: nothing was written.
func Error(err error) error {
	switch {
	case errors.Is(err, sopsfile.ErrNotFound):
		return textutil.Hintf("'keycycle secret list FILE' shows the paths a file holds", "%v", err)
	case errors.As(err, new(*sopsfile.NoIdentityError)):
		return textutil.WithHint(err, "set SOPS_AGE_KEY_FILE to a key that opens the file")
	}
	return textutil.WithHint(err, "nothing was written; 'keycycle secret --help' shows the usage")
}

// RegenerateHint is the line that ends a revocation's text output (host
// remove, user remove, host set-key): the command that makes the secrets
// the removed key could read anew, as a next step or, in a dry run,
// after the change.
func RegenerateHint(key string, dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("after it: 'keycycle secret regenerate --exposed-by %s' makes anew the exposed secrets that have a generator", key)
	}
	return fmt.Sprintf("next: 'keycycle secret regenerate --exposed-by %s' makes anew the exposed secrets that have a generator and lists the rest", key)
}
