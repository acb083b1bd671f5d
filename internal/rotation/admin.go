package rotation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// KindAdmin is an admin's key: its private half is with a person (the
// operator's own key file), not on a host. The new key is made here and
// written to the operator's key file (KeyFile, local), beside the old
// one or in a new file; the operator confirms that it is kept wherever
// the old one was needed before the old key leaves the repository.
const KindAdmin = "admin"

// adminBlock is what an admin rotation writes to the key file: a marker
// naming the rotation (after a crash the key is found and reused), the
// comments age-keygen writes, the identity.
func adminBlock(j *Journal, id *age.X25519Identity, now time.Time) string {
	return fmt.Sprintf("%s\n# created: %s\n# public key: %s\n%s\n", newKeyMarker(j), now.UTC().Format(time.RFC3339), id.Recipient(), id)
}

// markedAdminKey returns the identity an admin rotation wrote to data.
func markedAdminKey(data []byte, j *Journal) (agekey.Identity, bool) {
	_, rest, ok := strings.Cut(string(data), newKeyMarker(j)+"\n")
	if !ok {
		return agekey.Identity{}, false
	}
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := agekey.ParseIdentity(line)
		return id, err == nil
	}
	return agekey.Identity{}, false
}

// makeAdminKey makes the new admin key here and writes it to the key
// file: a new file O_EXCL 0600, or appended to the existing one (the old
// identity stays), replaced atomically with its mode kept.
func (r *Runner) makeAdminKey(ctx context.Context, j *Journal) (string, error) {
	data, err := os.ReadFile(j.KeyFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if id, ok := markedAdminKey(data, j); ok {
		rcp, err := id.Recipient()
		if err != nil {
			return "", err
		}
		j.New = rcp
		return "new key " + j.New + " (made before) kept in " + j.KeyFile, nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	block := adminBlock(j, id, r.now())
	if data == nil {
		err = fsutil.WriteNewPrivate(j.KeyFile, []byte(block))
	} else {
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data, '\n')
		}
		err = fsutil.WriteFileAtomic(j.KeyFile, append(data, block...), 0o600)
	}
	if err != nil {
		return "", err
	}
	j.New = id.Recipient().String()
	what := "new admin key " + j.New + " made here, kept in " + j.KeyFile
	r.repo.Lock()
	defer r.repo.Unlock()
	if err := r.record(ctx, j, audit.Entry{Note: "rotation " + j.ID + ": " + what}, "keycycle: rotate "+j.Key+": new key", nil); err != nil {
		return "", err
	}
	return what, nil
}

// confirmAdmin waits, once, for the operator to confirm that the new key
// is kept wherever the old one is needed (other machines, a backup):
// after step 6 only the new key opens the files.
func (r *Runner) confirmAdmin(j *Journal) (string, error) {
	if j.DeployAsked {
		return "the operator confirmed the new key is kept in every place it is needed", nil
	}
	j.DeployAsked = true
	if err := r.Save(j, "waiting for the operator to confirm the new key"); err != nil {
		return "", err
	}
	fmt.Fprintf(r.Out, "%s: the new key %s is in %s, and every file lists it beside the old one.\n"+
		"Copy it wherever the old key is needed (other machines, your backup of it), then run:\n"+
		"keycycle rotate resume %s   (the new key alone must then open every file, and the old one leaves)\n",
		j.ID, j.New, j.KeyFile, j.ID)
	return "", ErrWaiting
}

// verifyAdmin proves, here, that the new identity alone (read from the
// key file) opens every file of the journal.
func (r *Runner) verifyAdmin(j *Journal) (string, error) {
	if err := r.addNewFiles(j); err != nil {
		return "", err
	}
	data, err := os.ReadFile(j.KeyFile)
	if err != nil {
		return "", fmt.Errorf("the new key's file: %w", err)
	}
	id, ok := findIdentity(data, j.New)
	if !ok {
		return "", fmt.Errorf("%s no longer holds the new key %s: put it back, then resume", j.KeyFile, j.New)
	}
	root := filepath.Dir(r.ConfigPath)
	n := 0
	for _, rel := range j.Files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := sopsfile.Decrypt(rel, data, id); err != nil {
			return "", fmt.Errorf("the new key alone cannot open %s: %v", rel, err)
		}
		n++
	}
	return fmt.Sprintf("the new key alone opens %d file(s)", n), nil
}

// findIdentity returns the identity line of an identity file whose
// recipient is rcp.
func findIdentity(data []byte, rcp string) (string, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if id, err := agekey.ParseIdentity(line); err == nil {
			if r, err := id.Recipient(); err == nil && r == rcp {
				return line, true
			}
		}
	}
	return "", false
}

// adminDoneNote says what stays in the key file after an admin rotation.
func adminDoneNote(j *Journal) string {
	return fmt.Sprintf("the old identity stays in %s: it opens the old versions of the files in the repository's history; delete it when you no longer need them", j.KeyFile)
}
