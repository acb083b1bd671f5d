package agekey

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"

	"github.com/keycycle/keycycle/internal/textutil"
)

// Found is the set of identities found where sops looks for them.
type Found struct {
	// Identities can unwrap data keys; they never leave memory.
	Identities []age.Identity
	// Sources names where each group of identities came from (a variable
	// name or a file path), for messages. Never the key itself.
	Sources []string
	// Skipped says which places were looked at and why they gave nothing
	// usable (an encrypted SSH key, a parse error on line N, …).
	Skipped []string
	// Warnings are about files that were used: a key file others can
	// read.
	Warnings []string
}

// MaxIdentityFile bounds what is read of an identity file: a key file is
// a few hundred bytes, and SOPS_AGE_KEY_FILE=/dev/zero must not hang.
const MaxIdentityFile = 1 << 20

// readKeyFile reads a private key file, at most MaxIdentityFile bytes,
// and warns (as ssh does) when a regular file is readable by others.
func (f *Found) readKeyFile(source, path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a key file", path)
	}
	data, err := io.ReadAll(io.LimitReader(file, MaxIdentityFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxIdentityFile {
		return nil, fmt.Errorf("more than %d KiB: not a key file", MaxIdentityFile>>10)
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%s is readable by others (mode %04o): a private key must be 0600; chmod 600 %s", source, st.Mode().Perm(), path))
	}
	return data, nil
}

// Env is the process environment and the folders identity lookup needs;
// tests pass their own.
type Env struct {
	Getenv func(string) string
	// Home is the user's home folder (for ~/.ssh).
	Home string
	// ConfigDir is the user config folder ($XDG_CONFIG_HOME or ~/.config
	// on Linux), where sops looks for sops/age/keys.txt.
	ConfigDir string
}

// OSEnv returns the Env of this process.
func OSEnv() Env {
	home, _ := os.UserHomeDir()
	cfg, _ := os.UserConfigDir()
	return Env{Getenv: os.Getenv, Home: home, ConfigDir: cfg}
}

// FindIdentities gathers age identities from the places sops 3.13 reads,
// merged rather than first-wins, as sops does: SOPS_AGE_KEY
// (whitespace-separated keys), SOPS_AGE_KEY_FILE, ConfigDir/sops/age/
// keys.txt, and SSH keys from SOPS_AGE_SSH_PRIVATE_KEY_FILE or else
// ~/.ssh/id_ed25519 and ~/.ssh/id_rsa. The *_CMD variables are not run.
func FindIdentities(env Env) *Found {
	f := &Found{}
	if v := env.Getenv("SOPS_AGE_KEY"); strings.TrimSpace(v) != "" {
		f.addText("SOPS_AGE_KEY", strings.Join(strings.Fields(v), "\n"))
	}
	if p := env.Getenv("SOPS_AGE_KEY_FILE"); p != "" {
		f.addFile("SOPS_AGE_KEY_FILE="+p, p, true)
	}
	if env.ConfigDir != "" {
		p := filepath.Join(env.ConfigDir, "sops", "age", "keys.txt")
		f.addFile(p, p, false)
	}
	if p := env.Getenv("SOPS_AGE_SSH_PRIVATE_KEY_FILE"); p != "" {
		f.addSSH(p, true)
	} else if env.Home != "" {
		f.addSSH(filepath.Join(env.Home, ".ssh", "id_ed25519"), false)
		f.addSSH(filepath.Join(env.Home, ".ssh", "id_rsa"), false)
	}
	return f
}

func (f *Found) addText(source, text string) {
	ids, err := ParseIdentityFile(strings.NewReader(text))
	if err != nil {
		f.Skipped = append(f.Skipped, fmt.Sprintf("%s: %v", source, err))
		return
	}
	for _, id := range ids {
		f.Identities = append(f.Identities, id.AgeIdentity())
	}
	f.Sources = append(f.Sources, source)
}

func (f *Found) addFile(source, path string, mustExist bool) {
	data, err := f.readKeyFile(source, path)
	if err != nil {
		if mustExist || !errors.Is(err, os.ErrNotExist) {
			f.Skipped = append(f.Skipped, fmt.Sprintf("%s: %v", source, err))
		}
		return
	}
	f.addText(source, string(data))
}

func (f *Found) addSSH(path string, mustExist bool) {
	data, err := f.readKeyFile(path, path)
	if err != nil {
		if mustExist || !errors.Is(err, os.ErrNotExist) {
			f.Skipped = append(f.Skipped, fmt.Sprintf("%s: %v", path, err))
		}
		return
	}
	id, err := agessh.ParseIdentity(data)
	if err != nil {
		f.Skipped = append(f.Skipped, fmt.Sprintf("%s: not usable without a passphrase or not an SSH private key (%v)", path, textutil.OneLine(err.Error())))
		return
	}
	f.Identities = append(f.Identities, id)
	f.Sources = append(f.Sources, path)
}
