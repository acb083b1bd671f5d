package hostcheck

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/keycycle/keycycle/internal/agekey"
)

// host is a host root built in a temporary folder for a test.
type host struct {
	t       *testing.T
	dir     string
	sshPub  string // authorized_keys line
	sshAge  string // ssh-to-age of the host key
	keyAge  string // recipient of the key file's identity
	userAge string
}

// path returns the real path of a host path.
func (h *host) path(p string) string { return filepath.Join(h.dir, p) }

func (h *host) write(p string, data string, mode os.FileMode) {
	h.t.Helper()
	if err := os.MkdirAll(filepath.Dir(h.path(p)), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.path(p), []byte(data), mode); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Chmod(h.path(p), mode); err != nil {
		h.t.Fatal(err)
	}
}

func (h *host) symlink(target, p string) {
	h.t.Helper()
	_ = os.MkdirAll(filepath.Dir(h.path(p)), 0o755)
	if err := os.Symlink(target, h.path(p)); err != nil {
		h.t.Fatal(err)
	}
}

func sshEd25519(t *testing.T) (pemText, pub string) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(sk, "root@test")
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pk)
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func sshRSA(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func ageKey(t *testing.T) (file, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("# created: 2025-01-01T00:00:00Z\n# public key: %s\n%s\n", id.Recipient(), id), id.Recipient().String()
}

// manifestJSON is the shape sops-install-secrets reads, as the sops-nix
// module writes it (modules/sops/manifest-for.nix).
const manifestJSON = `{
  "secrets": [
    {"name": "db/password", "key": "db/password", "path": "/run/secrets/db/password",
     "owner": null, "uid": UID, "group": null, "gid": GID,
     "sopsFile": "/nix/store/aaaa-secrets.yaml", "format": "yaml", "mode": "0400",
     "restartUnits": [], "reloadUnits": []},
    {"name": "wifi", "key": "wifi", "path": "/etc/wpa.conf",
     "owner": "svc", "uid": 0, "group": "svc", "gid": 0,
     "sopsFile": "/nix/store/aaaa-secrets.yaml", "format": "yaml", "mode": "0440",
     "restartUnits": ["wpa.service"], "reloadUnits": []}
  ],
  "templates": [],
  "placeholderBySecretName": {},
  "secretsMountPoint": "/run/secrets.d",
  "symlinkPath": "/run/secrets",
  "keepGenerations": 1,
  "sshKeyPaths": [],
  "gnupgHome": "",
  "ageKeyFile": "/var/lib/sops-nix/key.txt",
  "ageSshKeyPaths": ["/etc/ssh/ssh_host_ed25519_key"],
  "useTmpfs": false,
  "userMode": false,
  "logging": {"keyImport": true, "secretChanges": true}
}`

func (h *host) manifest() string {
	r := strings.NewReplacer("UID", fmt.Sprint(os.Getuid()), "GID", fmt.Sprint(os.Getgid()))
	return r.Replace(manifestJSON)
}

// newHost builds a healthy host: ed25519 host key, age key file, passwd
// and group with a user and a service account (the test's own ids),
// generation 1 of /run/secrets with the manifest's two secrets.
func newHost(t *testing.T) *host {
	t.Helper()
	h := &host{t: t, dir: t.TempDir()}
	priv, pub := sshEd25519(t)
	h.sshPub = pub
	h.sshAge, _ = agekey.SSHPublicToAge([]byte(pub))
	h.write("/etc/ssh/ssh_host_ed25519_key", priv, 0o600)
	h.write("/etc/ssh/ssh_host_ed25519_key.pub", pub+"\n", 0o644)
	kf, rec := ageKey(t)
	h.keyAge = rec
	h.write("/var/lib/sops-nix/key.txt", kf, 0o600)
	uid, gid := os.Getuid(), os.Getgid()
	h.write("/etc/passwd", fmt.Sprintf("root:x:0:0::/root:/bin/sh\nrain:x:%d:%d::/home/rain:/bin/sh\nsvc:x:%d:%d::/var/empty:/bin/false\n", uid, gid, uid, gid), 0o644)
	h.write("/etc/group", fmt.Sprintf("root:x:0:\nsvc:x:%d:\n", gid), 0o644)
	uf, urec := ageKey(t)
	h.userAge = urec
	h.write("/home/rain/.config/sops/age/keys.txt", uf, 0o600)
	h.write("/run/secrets.d/1/db/password", "hunter2", 0o400)
	h.write("/run/secrets.d/1/wifi", "psk=x", 0o440)
	h.symlink("/run/secrets.d/1", "/run/secrets")
	h.symlink("/run/secrets/wifi", "/etc/wpa.conf")
	h.write("/manifest.json", h.manifest(), 0o644)
	return h
}

// opts returns options for checking h with its manifest.
func (h *host) opts() Options {
	m, err := ParseManifest([]byte(h.manifest()))
	if err != nil {
		h.t.Fatal(err)
	}
	return Options{Root: h.dir, RootUID: os.Getuid(), Expect: []*Manifest{m}, User: "rain",
		Now: time.Now()}
}

func run(t *testing.T, o Options) *Report {
	t.Helper()
	rep, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func get(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result %s", id)
	return Result{}
}

// want asserts the status of each named check, and that others are ok.
func want(t *testing.T, rep *Report, statuses map[string]Status) {
	t.Helper()
	for _, r := range rep.Results {
		w, ok := statuses[r.ID]
		if !ok {
			w = OK
		}
		if r.Status != w {
			t.Errorf("%s %s: status %s, want %s: %s %q", r.ID, r.Name, r.Status, w, r.Message, r.Details)
		}
	}
}

// noSecrets fails when any output of the report holds key material.
func noSecrets(t *testing.T, rep *Report) {
	t.Helper()
	var b strings.Builder
	_ = WriteText(&b, rep)
	_ = WriteJSON(&b, rep)
	for _, bad := range []string{"AGE-SECRET-KEY-", "PRIVATE KEY", "hunter2"} {
		if strings.Contains(b.String(), bad) {
			t.Fatalf("output holds %q:\n%s", bad, b.String())
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
