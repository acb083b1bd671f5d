package ops

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/demo"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/rotation"
)

// DemoRotation rotates griefling's key in the demo repository l through
// every step, the host side run by this same binary on this machine (the
// local transport, demo.HostDir standing for griefling's /), with rain's
// key as the operator's; demo.Prove then shows that the new key opens
// griefling's files and the old one no longer does. It is demo.Run's
// Rotate.
func DemoRotation(ctx context.Context, l *demo.Layout, out io.Writer) (err error) {
	exe, err := selfBinary()
	if err != nil {
		return err
	}
	oldKey, err := os.ReadFile(l.IdentityFiles["griefling"])
	if err != nil {
		return err
	}
	keyFile := filepath.Join(l.Dir, filepath.FromSlash(demo.HostDir), "var/lib/sops-nix/key.txt")
	if err := fsutil.WriteNewPrivate(keyFile, oldKey); err != nil {
		return err
	}
	operator, err := identityFile(l.IdentityFiles["rain"])
	if err != nil {
		return err
	}
	s, err := Begin(ctx, Options{Repo: l.Dir, Command: "keycycle rotate start griefling", LockTimeout: 30 * time.Second})
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
	fmt.Fprintln(out)
	return demo.Prove(out, l.Dir, j.Files, keyFile, l.IdentityFiles["griefling"])
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
