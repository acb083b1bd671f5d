// Package demo builds a throwaway secrets repository shaped like the
// nix-secrets layout keycycle is for: three hosts, two users, a shared
// file and one file per host, really encrypted with the sops library —
// and four planted problems for 'keycycle check' to find.
package demo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// keyNames lists the demo's keys: three hosts, then the users' keys.
func keyNames() []string {
	return []string{"griefling", "malphas", "sorrow", "rain", "rain_griefling", "oldlaptop"}
}

// Layout says what Build made.
type Layout struct {
	Dir string
	// Recipients maps each key name to its age recipient.
	Recipients map[string]string
	// IdentityFiles maps each key name to its private key file (0600).
	IdentityFiles map[string]string
	// Planted lists the problems put there on purpose, for the reader.
	Planted []string
}

const sopsYAML = `# keycycle demo: a nix-secrets repository as sops-nix users keep it.
keys:
  hosts:
    - &griefling {{.griefling}}
    - &malphas {{.malphas}}
    - &sorrow {{.sorrow}}
  users:
    - &rain {{.rain}} # admin key on the workstation
    - &rain_griefling {{.rain_griefling}}
    - &oldlaptop {{.oldlaptop}} # retired laptop: no rule uses it any more
creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
          - *malphas
          - *sorrow
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
  - path_regex: sops/malphas\.yaml$
    key_groups:
      - age:
          - *rain
          - *malphas
  - path_regex: sops/sorrow\.yaml$
    key_groups:
      - age:
          - *rain
          - *sorrow
  # anything else under sops/ is for the admin only
  - path_regex: sops/[^/]+\.yaml$
    key_groups:
      - age:
          - *rain
`

const sharedYAML = `passwords:
    rain: $6$demo$not-a-real-hash
    msmtp: demo-not-a-real-password
tailscale:
    oauth_client_id: demo-client
    oauth_client_secret: demo-not-a-real-secret
atuin:
    username: rain
    password: demo-not-a-real-password
`

const todoYAML = `# TODO: encrypt this before committing
borg:
    passphrase: demo-not-a-real-passphrase
`

// Build writes the demo repository into dir, which must not exist or be
// empty. Private keys go to dir/identities (0600); nothing plaintext that
// is meant to be secret is written, except the planted plaintext file.
func Build(dir string) (*Layout, error) {
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	l := &Layout{Dir: dir, Recipients: map[string]string{}, IdentityFiles: map[string]string{}}
	ids := map[string]*age.X25519Identity{}
	for _, name := range keyNames() {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		ids[name] = id
		l.Recipients[name] = id.Recipient().String()
		p := filepath.Join(dir, "identities", name+".txt")
		body := fmt.Sprintf("# demo identity %s\n# public key: %s\n%s\n", name, l.Recipients[name], id.String())
		if err := fsutil.WriteNewPrivate(p, []byte(body)); err != nil {
			return nil, err
		}
		l.IdentityFiles[name] = p
	}
	var cfg bytes.Buffer
	if err := template.Must(template.New("sops").Parse(sopsYAML)).Execute(&cfg, l.Recipients); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, ".sops.yaml"), cfg.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := l.writeFiles(ids); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Layout) writeFiles(ids map[string]*age.X25519Identity) error {
	r := l.Recipients
	files := []struct {
		name  string
		plain string
		to    []string
	}{
		{"shared.yaml", sharedYAML, []string{r["rain"], r["rain_griefling"], r["griefling"], r["malphas"], r["sorrow"]}},
		{"griefling.yaml", "keys:\n    age: " + ids["rain_griefling"].String() + "\n", []string{r["rain"], r["rain_griefling"], r["griefling"]}},
		{"malphas.yaml", "borg:\n    repo_key: demo-not-a-real-key\n", []string{r["rain"], r["malphas"]}},
		// Planted: sorrow was added to its rule but nobody re-keyed the
		// file, and the retired laptop can still read it.
		{"sorrow.yaml", "wifi:\n    psk: demo-not-a-real-psk\n", []string{r["rain"], r["oldlaptop"]}},
	}
	for _, f := range files {
		p := filepath.Join(l.Dir, "sops", f.name)
		enc, err := sopsfile.Encrypt(p, []byte(f.plain), sopsfile.EncryptOptions{Groups: [][]string{f.to}})
		if err != nil {
			return fmt.Errorf("demo: encrypting %s: %w", f.name, err)
		}
		if err := fsutil.WriteFileAtomic(p, enc, 0o644); err != nil {
			return err
		}
	}
	l.Planted = []string{
		"sops/sorrow.yaml is not encrypted for host sorrow (its rule wants it): sorrow fails at boot",
		"sops/sorrow.yaml is still encrypted for oldlaptop, a retired key",
		"&oldlaptop is defined in .sops.yaml but no rule uses it",
		"sops/todo.yaml matches a rule but was committed in plaintext",
	}
	return fsutil.WriteFileAtomic(filepath.Join(l.Dir, "sops", "todo.yaml"), []byte(todoYAML), 0o644)
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: the demo writes only into a new or empty folder", dir)
	}
	return nil
}
