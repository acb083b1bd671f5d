package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// HostDir is the folder of the demo repository that stands for host
// griefling's /: a dot-folder, so no command takes it for secrets.
const HostDir = ".demo-host/griefling"

// Rotate rotates griefling's key in the demo repository l through every
// step, the host side run by this same binary on this machine (the local
// transport), with rain's key as the operator's. It then proves with the
// sops library that the new key opens griefling's files and the old one
// no longer does.
func Rotate(ctx context.Context, l *Layout, out io.Writer) (err error) {
	exe, err := selfBinary()
	if err != nil {
		return err
	}
	oldKey, err := os.ReadFile(l.IdentityFiles["griefling"])
	if err != nil {
		return err
	}
	keyFile := filepath.Join(l.Dir, filepath.FromSlash(HostDir), "var/lib/sops-nix/key.txt")
	if err := fsutil.WriteNewPrivate(keyFile, oldKey); err != nil {
		return err
	}
	operator, err := identityFile(l.IdentityFiles["rain"])
	if err != nil {
		return err
	}
	s, err := ops.Begin(ctx, ops.Options{Repo: l.Dir, Command: "keycycle rotate start griefling", LockTimeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer s.End(&err)
	r, err := s.RotationRunner(out)
	if err != nil {
		return err
	}
	r.Identities = operator
	st, err := rotation.Resolve(s.ConfigPath, rotation.Start{Key: "griefling", KeyFile: keyFile,
		Deploy: "echo '(demo) nixos-rebuild switch --flake .#{host}'", Remote: rotation.Remote{Local: true, Binary: exe}})
	if err != nil {
		return err
	}
	j, err := rotation.Plan(s.ConfigPath, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rotation %s: &griefling, %d file(s): %v\n", j.ID, len(j.Files), j.Files)
	if err := r.Save(j, "planned"); err != nil {
		return err
	}
	if err := r.Run(ctx, j); err != nil {
		return err
	}
	newKey, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	return prove(out, l.Dir, j.Files, string(newKey), string(oldKey))
}

// prove decrypts each of files (relative to dir) with the identities of
// the key file text newKey and requires the old key file text oldKey to
// open none of them.
func prove(out io.Writer, dir string, files []string, newKey, oldKey string) error {
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := sopsfile.Decrypt(rel, data, keyLines(newKey)...); err != nil {
			return fmt.Errorf("demo: the new key does not open %s: %v", rel, err)
		}
		_, err = sopsfile.Decrypt(rel, data, keyLines(oldKey)...)
		if !errors.Is(err, sopsfile.ErrNoIdentity) {
			return fmt.Errorf("demo: the old key still opens %s (%v)", rel, err)
		}
		fmt.Fprintf(out, "  %-20s opens with griefling's new key; the old key opens nothing\n", rel)
	}
	return nil
}

// identityFile reads an age identity file.
func identityFile(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := agekey.ParseIdentityFile(f)
	if err != nil {
		return nil, err
	}
	var out []age.Identity
	for _, id := range ids {
		out = append(out, id.AgeIdentity())
	}
	return out, nil
}

// selfBinary is how to run this keycycle again: as it was invoked (a
// name on $PATH, or a path), which keeps a wrapper or a multi-call test
// binary in the loop, else the executable's own path.
func selfBinary() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return filepath.Abs(p)
	}
	return os.Executable()
}

// keyLines returns the identity lines of an age key file's text.
func keyLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
