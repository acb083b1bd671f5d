package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/rotation"
)

// treeHash hashes every entry below root (path, type, mode, content):
// any file written, created, removed or left behind changes it.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", strings.TrimPrefix(p, root), st.Mode())
		if st.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestDryRunWritesNothing runs every command that changes the repository
// with --dry-run, with a rotation open in each of its states, and proves
// that not one byte is written: not in the repository (no lock, no plan,
// no temporary file, no journal or audit line), not in $TMPDIR, not on a
// host (rotations run nothing).
func TestDryRunWritesNothing(t *testing.T) {
	base := newCampaignRepo(t, 8)
	if out, err := exec.Command("git", "-C", base.dir, "init", "-q").CombinedOutput(); err != nil {
		t.Skipf("git init: %v\n%s", err, out)
	}
	for k, v := range map[string]string{"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
		"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"} {
		t.Setenv(k, v)
	}
	base.write(t, "keycycle.yaml", []byte("policy:\n  max_age:\n    host: 1d\n"))
	base.write(t, ".keycycle/keys.yaml", []byte("keys:\n  - name: h3\n    recipient: "+base.ids["h3"].Recipient().String()+"\n    kind: host\n    created: 2020-01-01\n"))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(base.dir, "admin.key"))
	newKey := base.ids["extra"].Recipient().String()
	commands := [][]string{
		{"rekey"}, {"rekey", "--rotate-data-key"}, {"rekey", "{dir}/sops/h1.yaml"},
		{"host", "add", "h9", "--age", newKey}, {"host", "remove", "h1"}, {"host", "remove", "h1", "--keep-file"},
		{"user", "add", "u9", "--age", newKey}, {"user", "remove", "u1"},
		{"init", "--force"}, {"audit", "note", "hello"},
		{"rotate", "start", "h3"}, {"rotate", "resume"}, {"rotate", "abort"}, {"rotate", "due"},
		{"secret", "set", "{dir}/sops/h1.yaml", "new/value", "--from-file", "{dir}/admin.key"},
		{"secret", "generate", "{dir}/sops/shared/new.yaml", "x", "--kind", "age-key", "--add-key", "k9"},
		{"secret", "rm", "{dir}/sops/h1.yaml", "db/password"}, {"secret", "mv", "{dir}/sops/h1.yaml", "token", "t2"},
		{"secret", "ensure"}, {"secret", "regenerate", "--exposed-by", "u1"},
		{"host", "set-key", "h4", "--age", newKey},
		{"host", "add", "h8", "--age", newKey, "--ssh", "root@h8", "--deploy", "touch {dir}/DEPLOYED-{host}"},
		{"host", "remove", "h5", "--deploy", "touch {dir}/DEPLOYED-{host}"},
		{"rotate", "start", "admin", "--key-file", "{dir}/new-admin.key"},
	}
	states := []rotation.State{"", rotation.Planned, rotation.NewKey, rotation.Added, rotation.Deployed, rotation.Verified, rotation.OldRemoved}
	for _, st := range states {
		dir := base.copyTo(t)
		name := "no-rotation"
		if st != "" {
			name = string(st)
			openRotation(t, dir, st, newKey)
		}
		t.Run(name, func(t *testing.T) {
			for _, args := range commands {
				for _, extra := range [][]string{nil, {"--commit"}, {"--format", "json"}} {
					var argv []string
					for _, a := range args {
						argv = append(argv, strings.ReplaceAll(a, "{dir}", dir))
					}
					argv = append(append(argv, "--dry-run", "--repo", dir), extra...)
					before := treeHash(t, dir)
					var stdout, stderr bytes.Buffer
					code := cli.Main(context.Background(), argv, strings.NewReader(""), &stdout, &stderr)
					if after := treeHash(t, dir); after != before {
						t.Errorf("keycycle %s (exit %d) wrote to the repository\n%s%s", strings.Join(argv, " "), code, stdout.String(), stderr.String())
					}
					if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
						t.Errorf("keycycle %s wrote %s in $TMPDIR", strings.Join(argv, " "), ents[0].Name())
						_ = os.RemoveAll(filepath.Join(tmp, ents[0].Name()))
					}
					if code != 0 && mustSucceed(args, st, extra) {
						t.Errorf("keycycle %s: exit %d\n%s%s", strings.Join(argv, " "), code, stdout.String(), stderr.String())
					}
				}
			}
		})
	}
}

// mustSucceed says which dry runs must exit 0 (the others may refuse:
// a rotation already open, an abort past old-removed, a --format the
// command does not render).
func mustSucceed(args []string, st rotation.State, extra []string) bool {
	if len(extra) == 2 && (args[0] == "rotate" && args[1] != "due" || args[0] == "audit" || args[0] == "init") {
		return false
	}
	switch {
	case args[0] == "secret" && args[1] == "regenerate":
		return false // no revocation in the log: it refuses, writing nothing
	case args[0] != "rotate":
		return true
	case args[1] == "resume":
		return st != ""
	case args[1] == "abort":
		return st != "" && st != rotation.OldRemoved
	}
	return true
}

// openRotation leaves a rotation of &h2 in state st, as a crash would.
func openRotation(t *testing.T, dir string, st rotation.State, newKey string) {
	cfg := filepath.Join(dir, ".sops.yaml")
	j, err := rotation.Plan(cfg, rotation.Start{Key: "h2", Host: "h2", Kind: rotation.KindHost,
		KeyFile: "/var/lib/sops-nix/key.txt", Remote: rotation.Remote{Local: true}})
	if err != nil {
		t.Fatal(err)
	}
	j.State = st
	if st.Index() >= rotation.NewKey.Index() {
		j.New = newKey
	}
	if err := (rotation.Store{Root: dir}).Save(j); err != nil {
		t.Fatal(err)
	}
}
