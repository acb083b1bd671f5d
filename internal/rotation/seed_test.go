package rotation_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/sopsfile"
)

// seeds holds the fixtures every test starts from, each built once per
// run (keys made, secrets files encrypted by the real sops) and copied
// into the test's own folder. The kill tables set up a fresh fixture for
// every case; without the seeds each case ran the sops binary once per
// secrets file before it began.
type seeds struct {
	mu    sync.Mutex
	built map[string]*seed
}

// seed is one fixture's files, built in dir.
type seed struct {
	once sync.Once
	dir  string
	err  error
}

// copyInto copies the fixture named name into dst, building it first
// with build(dir) if no test has yet. A fixture that failed to build
// fails every test that wants it, with the same error.
func (s *seeds) copyInto(t *testing.T, name, dst string, build func(dir string) error) {
	t.Helper()
	s.mu.Lock()
	if s.built == nil {
		s.built = map[string]*seed{}
	}
	sd := s.built[name]
	if sd == nil {
		sd = &seed{}
		s.built[name] = sd
	}
	s.mu.Unlock()
	sd.once.Do(func() {
		sd.dir, sd.err = os.MkdirTemp(shared.dir, "seed-")
		if sd.err == nil {
			sd.err = build(sd.dir)
		}
	})
	if sd.err != nil {
		t.Fatalf("fixture %s: %v", name, sd.err)
	}
	if err := copyTree(sd.dir, dst); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
}

// copyTree copies the files and folders below src into dst, keeping
// their permission bits (private keys stay 0600).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// makeKey writes a new age identity to path (0600, its folder 0700) and
// returns its recipient.
func makeKey(path string) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}

// makeKeyAndCopy writes a new identity to path and a copy of it to
// keep (the key before a rotation replaces it), and returns its
// recipient.
func makeKeyAndCopy(path, keep string) (string, error) {
	rcp, err := makeKey(path)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return rcp, os.WriteFile(keep, data, 0o600)
}

// writeFile writes body to path, making its folders.
func writeFile(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o644)
}

// sopsEncrypt writes sops/NAME.yaml for each file and encrypts it in
// place with the real sops, by the repository's rules.
func sopsEncrypt(repo, admin string, files map[string]string) error {
	sops, err := sopsPath()
	if err != nil {
		return err
	}
	for name, body := range files {
		p := filepath.Join(repo, "sops", name+".yaml")
		if err := writeFile(p, body); err != nil {
			return err
		}
		cmd := exec.Command(sops, "encrypt", "-i", p)
		cmd.Dir, cmd.Env = repo, append(os.Environ(), "SOPS_AGE_KEY_FILE="+admin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("sops encrypt %s: %v\n%s", name, err, out)
		}
	}
	return nil
}

// recipientOf returns the recipient of the identity in keyFile.
func recipientOf(t *testing.T, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", keyFile, err)
	}
	return id.Recipient().String()
}

// libOpens tells whether the identities in keyFile open file, decrypted
// in this process by the sops library (the code the sops binary runs to
// decrypt: data key, MAC, values). The kill tables check each moment
// after a kill with it; sopsOpens, the real binary, proves the states a
// rotation ends in. Any failure but "no identity opens it" fails the
// test: a negative check must not pass on a file that cannot be read.
func libOpens(t *testing.T, file, keyFile string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sopsfile.Decrypt(file, data, string(ids))
	if err != nil && !errors.Is(err, sopsfile.ErrNoIdentity) {
		t.Fatalf("the sops library cannot decrypt %s: %v", file, err)
	}
	return err == nil
}
