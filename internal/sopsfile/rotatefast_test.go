package sopsfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
)

// rotateBoth gives the file a new data key for the given recipients
// through the sops library and returns the spliced bytes (nil: not
// applicable) and what sops's emitter writes for the same tree.
func rotateBoth(t *testing.T, path string, data []byte, id age.Identity, recipients []string) (spliced, emitted []byte) {
	t.Helper()
	tree, err := loadTree(path, data, config.NewStoresConfig())
	if err != nil {
		t.Fatal(err)
	}
	key, err := dataKeyWith(tree.Metadata, sopsage.ParsedIdentities{id})
	if err != nil {
		t.Fatal(err)
	}
	plain := *tree
	plain.Branches = copyBranches(tree.Branches)
	if err := decryptTree(&plain, key); err != nil {
		t.Fatal(err)
	}
	var group sops.KeyGroup
	for _, r := range recipients {
		mk, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil {
			t.Fatal(err)
		}
		group = append(group, mk)
	}
	if err := rotate(&plain, &config.Config{KeyGroups: []sops.KeyGroup{group}}, tree.Metadata.ShamirThreshold); err != nil {
		t.Fatal(err)
	}
	spliced = spliceRotated(ageListOf(path, data), data, tree, &plain)
	emitted, err = common.DefaultStoreForPath(config.NewStoresConfig(), path).EmitEncryptedFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	return spliced, emitted
}

// TestSpliceRotatedEqualsEmit: on files sops wrote (comments encrypted,
// lists, numbers, an unencrypted key), the spliced file is byte for byte
// what sops's emitter writes for the same rotated tree. (An inline
// comment is where sops's emitter differs: it moves it to a line of its
// own, the splice leaves it where it was; verify holds both to the same
// values.)
func TestSpliceRotatedEqualsEmit(t *testing.T) {
	c := newAddCase(t, 4, 0, strings.Replace(plainSecrets, " # inline", "", 1))
	spliced, emitted := rotateBoth(t, c.path, c.data, c.ids[0], c.want[1:4])
	if spliced == nil || string(spliced) != string(emitted) {
		t.Fatalf("spliced:\n%s\nemitted:\n%s", spliced, emitted)
	}
	dir := filepath.Join(corpus(t), "sops-files")
	data, err := os.ReadFile(filepath.Join(dir, "generated-sops-3.13.3/multi_recipient.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := identity(t, dir, "test_A_age1yt3.txt")
	spliced, emitted = rotateBoth(t, "multi_recipient.yaml", data, a, []string{a.(*age.X25519Identity).Recipient().String()})
	if spliced == nil || string(spliced) != string(emitted) {
		t.Fatalf("corpus file: spliced:\n%s\nemitted:\n%s", spliced, emitted)
	}
}

// TestSpliceRotatedDeclines: what cannot be paired goes to the emitter.
func TestSpliceRotatedDeclines(t *testing.T) {
	c := newAddCase(t, 3, 0, plainSecrets)
	s := string(c.data)
	i := strings.Index(s, "rain: ") + len("rain: ")
	value := s[i : i+strings.Index(s[i:], "]")+1]
	twice := strings.Replace(s, "plain_unencrypted: visible", "# "+value+"\nplain_unencrypted: visible", 1)
	if spliced, _ := rotateBoth(t, c.path, []byte(twice), c.ids[0], c.want[:2]); spliced != nil {
		t.Fatal("an ENC string found twice in the bytes was spliced")
	}
	tree, err := loadTree(c.path, c.data, config.NewStoresConfig())
	if err != nil {
		t.Fatal(err)
	}
	if spliceRotated(ageListOf(filepath.Join(c.dir, "x.json"), c.data), c.data, tree, tree) != nil {
		t.Fatal("spliced a file the JSON store writes")
	}
}

// TestRekeyRemoveRealSops: a removal through Rekey (spliced: see
// TestSpliceRotatedEqualsEmit) opens with the real sops for a key that
// stays and not for the one removed.
func TestRekeyRemoveRealSops(t *testing.T) {
	sopsBin, err := exec.Command("go", "tool", "-n", "sops").Output()
	if err != nil {
		t.Skipf("go tool -n sops: %v", err)
	}
	c := newAddCase(t, 4, 0, plainSecrets)
	cfg := c.writeConfig(t, "creation_rules:\n  - path_regex: sops/.*\\.yaml$\n    age: "+strings.Join(c.want[2:5], ",")+"\n")
	opts := RekeyOptions{ConfigPath: cfg, Identities: []age.Identity{c.ids[0]}, Rule: -1}
	res, err := Rekey(c.path, c.data, opts)
	if err != nil || !res.DataKeyRotated {
		t.Fatalf("rekey: %v %+v", err, res)
	}
	if err := os.WriteFile(c.path, res.Output, 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(id *age.X25519Identity) error {
		key := filepath.Join(t.TempDir(), "k")
		if err := os.WriteFile(key, []byte(id.String()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(strings.TrimSpace(string(sopsBin)), "-d", c.path)
		cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+key, "SOPS_AGE_KEY=", "SOPS_AGE_SSH_PRIVATE_KEY_FILE=/nonexistent")
		out, err := cmd.CombinedOutput()
		if err == nil && !strings.Contains(string(out), "oauth_client_secret: z") {
			return errors.New(string(out))
		}
		return err
	}
	if err := open(c.ids[1]); err != nil {
		t.Fatalf("a key that stays cannot open the file with sops: %v", err)
	}
	if err := open(c.ids[0]); err == nil {
		t.Fatal("the removed key still opens the file")
	}
}
