package agekey

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// IdentityLines reads an age key file and returns its identity lines,
// validated; they stay in memory and are never printed.
func IdentityLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the key file %s: %s", path, textutil.ErrReason(err))
	}
	if _, err := ParseIdentityFile(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// OnlyRecipient keeps the identity lines whose recipient is r.
func OnlyRecipient(lines []string, r string) []string {
	var out []string
	for _, line := range lines {
		if id, err := ParseIdentity(line); err == nil {
			if got, err := id.Recipient(); err == nil && got == r {
				out = append(out, line)
			}
		}
	}
	return out
}

// FirstEd25519Recipient is the age recipient of the first ssh-ed25519
// key in data (authorized_keys or ssh-keyscan lines); what names the
// source in the error.
func FirstEd25519Recipient(data []byte, what string) (string, error) {
	conv, err := SSHPublicKeysToAge(data)
	if err != nil || len(conv) == 0 {
		return "", textutil.Hintf("the host needs an ed25519 host key: sops-nix converts only those",
			"%s: no ssh-ed25519 key found", what)
	}
	return conv[0].Recipient, nil
}
