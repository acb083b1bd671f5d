package rotation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/failpoint"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// A user key is made here, by the operator, and its private half is kept
// encrypted in the host's secrets file under keys/age, which sops-nix
// deploys to the user's keys.txt. While a rotation runs, keys/age holds
// the new identity first, under a marker comment naming the rotation,
// then the old value unchanged: after a deployment the user's keys.txt
// has both keys, so the user can decrypt whatever the files list. At done
// keys/age is the new identity followed by what the old value held beside
// the old identity (other identities, comments); abort takes the marked
// lines off again, leaving the old value exactly.

// userKeyPath is where the host's file keeps a user key's private half.
func userKeyPath() []string { return []string{"keys", "age"} }

// newKeyMarker is the comment line above the new identity in keys/age.
func newKeyMarker(j *Journal) string { return "# keycycle: new key of rotation " + j.ID }

// makeUserKey makes the new user key and stores it encrypted in the
// host's file beside the old one; after a crash it finds it there again.
func (r *Runner) makeUserKey(ctx context.Context, j *Journal) (string, error) {
	r.repo.Lock()
	defer r.repo.Unlock()
	f, err := r.readUserKey(j)
	if err != nil {
		return "", err
	}
	if rcp, ok := stagedUserKey(f.value, j); ok {
		// Written before a crash, perhaps not recorded: record it now.
		j.New = rcp
		what := "new user key found in " + j.HostFile + " (written before a restart)"
		e := audit.Entry{Note: "rotation " + j.ID + ": " + what, Files: []string{j.HostFile}}
		if err := r.record(ctx, j, e, "keycycle: rotate "+j.Key+": "+what, []string{j.HostFile}); err != nil {
			return "", err
		}
		return "new key " + j.New + " (made before) kept in " + j.HostFile, nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	value := newKeyMarker(j) + "\n" + id.String() + "\n" + f.value
	if err := r.writeUserKey(ctx, j, f, value, "new user key kept beside the old in "+j.HostFile); err != nil {
		return "", err
	}
	j.New = id.Recipient().String()
	return "new key " + j.New + " made here, kept encrypted in " + j.HostFile, nil
}

// stagedUserKey returns the recipient of the new identity a rotation put
// in keys/age, if it is there.
func stagedUserKey(value string, j *Journal) (string, bool) {
	rest, ok := strings.CutPrefix(value, newKeyMarker(j)+"\n")
	if !ok {
		return "", false
	}
	line, _, _ := strings.Cut(rest, "\n")
	id, err := agekey.ParseIdentity(line)
	if err != nil {
		return "", false
	}
	rcp, err := id.Recipient()
	return rcp, err == nil
}

// userKeyFile is the host's file as read once for a change of keys/age:
// its bytes and mode, and keys/age decrypted in memory ("" when absent).
type userKeyFile struct {
	abs   string
	data  []byte
	mode  os.FileMode
	value string
}

// readUserKey reads the host's file and its keys/age.
func (r *Runner) readUserKey(j *Journal) (*userKeyFile, error) {
	f := &userKeyFile{abs: filepath.Join(filepath.Dir(r.ConfigPath), filepath.FromSlash(j.HostFile))}
	st, err := os.Stat(f.abs)
	if err != nil {
		return nil, err
	}
	f.mode = st.Mode().Perm()
	if f.data, err = os.ReadFile(f.abs); err != nil {
		return nil, err
	}
	f.value, _, err = sopsfile.GetString(f.abs, f.data, userKeyPath(), r.editOptions())
	return f, err
}

func (r *Runner) editOptions() sopsfile.EditOptions {
	return sopsfile.EditOptions{ConfigPath: r.ConfigPath, Identities: r.Identities}
}

// writeUserKey sets keys/age in the bytes f holds (verified), replaces
// the file atomically and records it. The caller holds r.repo.
func (r *Runner) writeUserKey(ctx context.Context, j *Journal, f *userKeyFile, value, what string) error {
	out, err := sopsfile.SetString(f.abs, f.data, userKeyPath(), value, r.editOptions())
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(f.abs, out, f.mode); err != nil {
		return err
	}
	failpoint.Hit("change.file")
	e := audit.Entry{Note: "rotation " + j.ID + ": " + what, Files: []string{j.HostFile}}
	return r.record(ctx, j, e, "keycycle: rotate "+j.Key+": "+what, []string{j.HostFile})
}

// finishUserKey takes the old identity and the marker out of keys/age,
// once the old key is out of every file.
func (r *Runner) finishUserKey(ctx context.Context, j *Journal) error {
	f, err := r.readUserKey(j)
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(f.value, newKeyMarker(j)+"\n")
	if !ok {
		return nil // done before
	}
	line, old, _ := strings.Cut(rest, "\n")
	return r.writeUserKey(ctx, j, f, finishedUserKey(line, old, j.Old, j.New), "old user key dropped from "+j.HostFile)
}

// finishedUserKey is keys/age at done: the new identity line, then what
// stood beside the old identity (other identities, comments). The old
// identity's "# public key: OLD" comment (and a "# created:" line right
// above it, as age-keygen writes them) does not stay: when there was
// one, the new identity gets its own "# public key: NEW" above it.
func finishedUserKey(newLine, old, oldRcp, newRcp string) string {
	lines := strings.Split(withoutIdentity(old, oldRcp), "\n")
	named := false
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "# public key: "+oldRcp {
			continue
		}
		from := i
		if i > 0 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "# created:") {
			from = i - 1
		}
		lines = append(lines[:from], lines[i+1:]...)
		i = from - 1
		named = true
	}
	value := newLine
	if named {
		value = "# public key: " + newRcp + "\n" + value
	}
	if others := strings.Join(lines, "\n"); strings.TrimSpace(others) != "" {
		value += "\n" + others
	}
	return value
}

// withoutIdentity returns an identity file's text without the identity
// lines of recipient; other identities and comments stay. "" when
// nothing but blank lines would remain.
func withoutIdentity(text, recipient string) string {
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		if id, err := agekey.ParseIdentity(strings.TrimSpace(line)); err == nil {
			if rcp, err := id.Recipient(); err == nil && rcp == recipient {
				continue
			}
		}
		keep = append(keep, line)
	}
	out := strings.Join(keep, "\n")
	if strings.TrimSpace(out) == "" {
		return ""
	}
	return out
}

// unstageUserKey takes the new identity out of keys/age (abort): the old
// value is left exactly as it was.
func (r *Runner) unstageUserKey(ctx context.Context, j *Journal) error {
	f, err := r.readUserKey(j)
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(f.value, newKeyMarker(j)+"\n")
	if !ok {
		return nil
	}
	_, old, _ := strings.Cut(rest, "\n")
	return r.writeUserKey(ctx, j, f, old, "rotation aborted, new user key dropped from "+j.HostFile)
}

// userDeployNote tells the operator what the user's key file holds after
// the rotation.
func userDeployNote(j *Journal) string {
	return fmt.Sprintf("%s no longer holds the old key; deploy %s again so that %s drops it too", j.HostFile, j.Host, j.KeyFile)
}
