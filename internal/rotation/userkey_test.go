package rotation_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// deployUserKey is a deploy command that does what sops-nix does for the
// user key: the real sops puts keys/age of the host's file into the
// user's keys.txt on the host (written aside, then renamed).
func (fl *fleet) deployUserKey(t *testing.T) string {
	t.Helper()
	sops, err := sopsPath()
	if err != nil {
		t.Skip(err)
	}
	return fmt.Sprintf(`%[1]q decrypt --extract '["keys"]["age"]' sops/{host}.yaml > %[2]q.tmp && mv %[2]q.tmp %[2]q`, sops, fl.userKeyTxt)
}

// userKeyValue returns keys/age of the host's file, decrypted with the
// admin key by the sops library in this process. (The deploy command
// above extracts it with the real sops, as sops-nix would install it.)
func (fl *fleet) userKeyValue(t *testing.T, host string) string {
	t.Helper()
	p := filepath.Join(fl.repo, "sops", host+".yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(fl.admin)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(keys))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sopsfile.GetValue(p, data, []string{"keys", "age"}, sopsfile.EditOptions{Identities: ids})
	if err != nil {
		t.Fatalf("keys/age of %s: %v", p, err)
	}
	return v
}

func TestRotationUserKeyEndToEnd(t *testing.T) {
	t.Parallel()
	fl := setupFleetWith(t, "rain", "alpha", "bravo")
	args := []string{"rotate", "start", fl.user, "--ssh-config", fl.sshConf, "--remote-keycycle", fl.wrapper, "--deploy", fl.deployUserKey(t)}
	code, out := fl.kc(t, args...)
	if code != 0 {
		t.Fatalf("rotate start %s: exit %d\n%s", fl.user, code, out)
	}
	t.Logf("rotate start %s:\n%s", fl.user, out)
	js := fl.journals(t)
	if len(js) != 1 || js[0].State != rotation.Done || js[0].Kind != rotation.KindUser || js[0].Host != "alpha" {
		t.Fatalf("journal %+v\n%s", js[0], out)
	}
	j := js[0]
	if j.KeyFile != "/home/rain/.config/sops/age/keys.txt" || j.HostFile != "sops/alpha.yaml" {
		t.Errorf("key file %s, host file %s", j.KeyFile, j.HostFile)
	}
	// The repository keeps the new identity alone, and the last
	// deployment gave the user exactly that.
	stored := fl.userKeyValue(t, "alpha")
	if strings.Contains(stored, "#") || strings.Count(stored, "AGE-SECRET-KEY-") != 1 {
		t.Errorf("keys/age after the rotation has %d line(s), comments or more than one key", strings.Count(stored, "\n")+1)
	}
	deployed, _ := os.ReadFile(fl.userKeyTxt)
	if strings.TrimSpace(string(deployed)) != strings.TrimSpace(stored) {
		t.Error("the user's keys.txt is not the stored key after the last deployment")
	}
	old, _ := os.ReadFile(fl.oldUserKey)
	if bytes.Contains(deployed, bytes.TrimSpace(old)) {
		t.Error("the old user key is still in the user's keys.txt")
	}
	for _, name := range []string{"shared", "alpha"} {
		p := filepath.Join(fl.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, fl.userKeyTxt) {
			t.Errorf("the new user key does not open %s", name)
		}
		if sopsOpens(t, p, fl.oldUserKey) {
			t.Errorf("the old user key still opens %s", name)
		}
	}
	// Host keys were not touched.
	for _, h := range []string{"alpha", "bravo"} {
		if !sopsOpens(t, filepath.Join(fl.repo, "sops", h+".yaml"), fl.keyOf(h)) {
			t.Errorf("%s's own key no longer opens its file", h)
		}
	}
	data, _ := os.ReadFile(fl.journalPath(t, j.ID))
	if bytes.Contains(data, []byte("AGE-SECRET-KEY")) {
		t.Error("the journal holds a private key")
	}
	if code, out := fl.kc(t, "audit", "verify"); code != 0 {
		t.Errorf("audit verify: %s", out)
	}
	keys, _ := os.ReadFile(filepath.Join(fl.repo, ".keycycle/keys.yaml"))
	if !strings.Contains(string(keys), j.New) || !strings.Contains(string(keys), "replaced_by: "+fl.user) {
		t.Errorf("keys.yaml:\n%s", keys)
	}
}

func (fl *fleet) journalPath(t *testing.T, id string) string {
	t.Helper()
	return rotation.Store{Root: fl.repo}.Path(id)
}

// TestRotationUserKeyAbort stops a user key's rotation while it waits for
// the deployment, and aborts it: .sops.yaml, every file's recipients and
// the stored private half are exactly as before.
func TestRotationUserKeyAbort(t *testing.T) {
	t.Parallel()
	fl := setupFleetWith(t, "rain", "alpha")
	cfgBefore, _ := os.ReadFile(filepath.Join(fl.repo, ".sops.yaml"))
	valueBefore := fl.userKeyValue(t, "alpha")
	rcpBefore := fl.recipientsOf(t, "shared", "alpha")
	code, out := fl.kc(t, "rotate", "start", fl.user, "--ssh-config", fl.sshConf, "--remote-keycycle", fl.wrapper)
	if code != 0 || !strings.Contains(out, "keycycle rotate resume "+fl.user) {
		t.Fatalf("rotate start: exit %d\n%s", code, out)
	}
	j := fl.journals(t)[0]
	if j.State != rotation.Added {
		t.Fatalf("state %s, want added (waiting for the deployment)", j.State)
	}
	staged := fl.userKeyValue(t, "alpha")
	if !strings.HasPrefix(staged, "# keycycle: new key of rotation "+j.ID+"\n") || !strings.HasSuffix(staged, valueBefore) {
		t.Fatalf("keys/age while rotating does not hold the new key above the old one (%d lines)", strings.Count(staged, "\n"))
	}
	// Without a deployment the host cannot prove the new key: resume
	// fails at verification, and nothing is lost.
	code, out = fl.kc(t, "rotate", "resume")
	if code != 1 || !strings.Contains(out, "holds no identity of "+j.New) {
		t.Fatalf("resume without deployment: exit %d\n%s", code, out)
	}
	if code, out := fl.kc(t, "rotate", "abort"); code != 0 {
		t.Fatalf("abort: exit %d\n%s", code, out)
	}
	cfgAfter, _ := os.ReadFile(filepath.Join(fl.repo, ".sops.yaml"))
	if !bytes.Equal(cfgBefore, cfgAfter) {
		t.Errorf(".sops.yaml after abort:\n%s", cfgAfter)
	}
	if got := fl.userKeyValue(t, "alpha"); got != valueBefore {
		t.Errorf("keys/age after abort differs from before (%d lines)", strings.Count(got, "\n"))
	}
	if got := fl.recipientsOf(t, "shared", "alpha"); got != rcpBefore {
		t.Errorf("recipients after abort:\n%s\nwant:\n%s", got, rcpBefore)
	}
	for _, name := range []string{"shared", "alpha"} {
		if !sopsOpens(t, filepath.Join(fl.repo, "sops", name+".yaml"), fl.oldUserKey) {
			t.Errorf("the user's key does not open %s after abort", name)
		}
	}
}

// recipientsOf lists the recipient lines of the named files.
func (fl *fleet) recipientsOf(t *testing.T, names ...string) string {
	t.Helper()
	return recipientLines(t, fl.repo, names...)
}
