package agekey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Generate creates a new X25519 identity and writes it to path in the
// age-keygen format ("# created: …", "# public key: age1…", then the
// AGE-SECRET-KEY-1… line). The file is created with O_EXCL and mode 0600,
// synced to disk, and closed with its error checked; an existing path is
// never overwritten (the error wraps fs.ErrExist). On a write error the
// half-written file is removed. It returns the public recipient.
func Generate(path string) (string, error) {
	// Like age-keygen -o, the folder must exist: a typo in it is an error,
	// not a new folder.
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	recipient, err := GenerateTo(&buf)
	defer clear(buf.Bytes())
	if err != nil {
		return "", err
	}
	if err := fsutil.WriteNewPrivate(path, buf.Bytes()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", err
		}
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return recipient, nil
}

// GenerateTo creates a new X25519 identity, writes it to w in the
// age-keygen format and returns its public recipient.
func GenerateTo(w io.Writer) (recipient string, err error) {
	return generateAt(w, time.Now())
}

func generateAt(w io.Writer, now time.Time) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	r := id.Recipient().String()
	_, err = fmt.Fprintf(w, "# created: %s\n# public key: %s\n%s\n", now.Format(time.RFC3339), r, id)
	if err != nil {
		return "", err
	}
	return r, nil
}

// Keygen is 'keycycle keygen': a new identity written to the new file
// output (Generate), or to w when output is "" or "-" (GenerateTo). Its
// errors carry the hint that helps (textutil.HintOf).
func Keygen(output string, w io.Writer) (recipient string, err error) {
	if output == "" || output == "-" {
		rec, err := GenerateTo(w)
		if err != nil {
			return "", textutil.Hintf("check that standard output can be written", "cannot write the identity: %v", err)
		}
		return rec, nil
	}
	rec, err := Generate(output)
	switch {
	case errors.Is(err, fs.ErrExist):
		return "", textutil.Hintf("pick another path, or move the old key away first: keycycle never overwrites a key file",
			"%s already exists", output)
	case err != nil:
		return "", textutil.Hintf("check that the folder exists and that you may write in it",
			"cannot create %s: %s", output, textutil.ErrReason(err))
	}
	return rec, nil
}
