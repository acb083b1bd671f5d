package agekey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// SSHPassphraseEnv names the variable that holds the passphrase of an
// encrypted SSH private key for 'keycycle ssh-to-age --private'.
const SSHPassphraseEnv = "KEYCYCLE_SSH_PASSPHRASE"

// maxKeyInput bounds what ssh-to-age reads: key files are small, a
// known_hosts file a few hundred kilobytes.
const maxKeyInput = 16 << 20

// SSHToAge is one 'keycycle ssh-to-age' conversion: what to read and how.
type SSHToAge struct {
	// Src is the file to read; "" or "-" reads Stdin.
	Src   string
	Stdin io.Reader
	// Private converts an OpenSSH ed25519 private key; else public keys.
	Private bool
	// PassphraseFile holds the private key's passphrase (its final
	// newline removed); when "", Passphrase is used.
	PassphraseFile string
	Passphrase     string
}

// SSHToAgeResult is what a conversion made: public keys' recipients and
// the lines skipped, or a private key's identity and its recipient.
type SSHToAgeResult struct {
	// Name is what messages call the input: the file or "standard input".
	Name       string
	Private    bool
	Recipients []Converted
	Skipped    []Skipped
	// Identity is the AGE-SECRET-KEY-1… line of a private key, and
	// Recipient its age1… recipient.
	Identity, Recipient string
}

// ConvertSSH runs the conversion. Converting public keys with none of
// type ssh-ed25519 returns the result (its Skipped lines) and an error.
// Errors carry the hint that helps (textutil.HintOf).
func ConvertSSH(in SSHToAge) (*SSHToAgeResult, error) {
	if in.PassphraseFile != "" && !in.Private {
		return nil, textutil.Hintf("add --private: only private keys have a passphrase", "--passphrase-file needs --private")
	}
	data, name, err := readKeyInput(in.Src, in.Stdin)
	if err != nil {
		return nil, err
	}
	res := &SSHToAgeResult{Name: name, Private: in.Private}
	if in.Private {
		return res, res.convertPrivate(in, data)
	}
	conv, skipped, err := ScanSSHPublicKeys(data)
	if err != nil {
		return nil, publicConvertError(err, name)
	}
	res.Recipients, res.Skipped = conv, skipped
	if len(conv) == 0 {
		return res, textutil.Hintf("only ssh-ed25519 keys convert to age; fetch a host's one with 'ssh-keyscan -t ed25519 HOST'",
			"no ssh-ed25519 key in %s (%s skipped)", name, textutil.Plural(len(skipped), "other key"))
	}
	return res, nil
}

// readKeyInput reads src, or stdin for "" and "-"; name is what messages
// call it.
func readKeyInput(src string, stdin io.Reader) (data []byte, name string, err error) {
	r, name := stdin, "standard input"
	if src != "" && src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, src, textutil.Hintf("check the path; with no FILE, keycycle reads standard input", "cannot open %s: %s", src, textutil.ErrReason(err))
		}
		defer f.Close()
		r, name = f, src
	}
	data, err = io.ReadAll(io.LimitReader(r, maxKeyInput+1))
	if err != nil {
		return nil, name, textutil.Hintf("pass a key file or pipe one in", "cannot read %s: %v", name, err)
	}
	if len(data) > maxKeyInput {
		return nil, name, textutil.Hintf("pass a key file, a .pub file, known_hosts or ssh-keyscan output", "%s is larger than 16 MiB: not a key file", name)
	}
	return data, name, nil
}

func publicConvertError(err error, name string) error {
	switch {
	case errors.Is(err, ErrNoKeys):
		return textutil.Hintf("fetch a host's key with 'ssh-keyscan -t ed25519 HOST', or pass /etc/ssh/ssh_host_ed25519_key.pub",
			"no SSH public key in %s", name)
	case errors.Is(err, ErrSecretKey):
		return textutil.Hintf("pass the .pub file next to it, or add --private to convert the private key",
			"%s is an SSH private key, not a public one", name)
	}
	return textutil.Hintf("pass a .pub file, authorized_keys, known_hosts or ssh-keyscan output", "%s: %v", name, err)
}

// convertPrivate converts the private key in data to res's identity.
func (res *SSHToAgeResult) convertPrivate(in SSHToAge, data []byte) error {
	pass, err := sshPassphrase(in)
	if err != nil {
		return err
	}
	id, err := SSHPrivateToAge(data, pass)
	clear(pass)
	if err != nil {
		return privateConvertError(err, res.Name)
	}
	parsed, err := ParseIdentity(id)
	if err != nil {
		return err
	}
	res.Identity = id
	res.Recipient, err = parsed.Recipient()
	return err
}

// sshPassphrase returns the passphrase from the file or the environment.
func sshPassphrase(in SSHToAge) ([]byte, error) {
	if in.PassphraseFile == "" {
		return []byte(in.Passphrase), nil
	}
	p, err := os.ReadFile(in.PassphraseFile)
	if err != nil {
		return nil, textutil.Hintf("check the --passphrase-file path", "cannot read the passphrase file: %s", textutil.ErrReason(err))
	}
	p = bytes.TrimSuffix(p, []byte("\n"))
	p = bytes.TrimSuffix(p, []byte("\r"))
	return p, nil
}

func privateConvertError(err error, name string) error {
	hint := "pass an OpenSSH ed25519 private key, such as /etc/ssh/ssh_host_ed25519_key"
	switch {
	case errors.Is(err, ErrPassphraseNeeded):
		hint = "set " + SSHPassphraseEnv + " or pass --passphrase-file FILE"
	case errors.Is(err, ErrWrongPassphrase):
		hint = "check " + SSHPassphraseEnv + " or the --passphrase-file (its final newline is removed)"
	case errors.Is(err, ErrPublicKey):
		hint = "the private key is the file without .pub; drop --private to convert the public key"
	case errors.Is(err, ErrUnsupportedKeyType):
		hint = "only ed25519 SSH keys convert to age; 'keycycle keygen' makes a native age key"
	case errors.Is(err, ErrUnsupportedCipher):
		hint = "re-encrypt a copy with 'ssh-keygen -p -Z aes256-ctr -f COPY' and convert the copy"
	}
	return textutil.Hintf(hint, "%s: %v", name, err)
}

// WriteText writes the identity, or one recipient a line in input order.
func (res *SSHToAgeResult) WriteText(w io.Writer) error {
	if res.Private {
		_, err := fmt.Fprintln(w, res.Identity)
		return err
	}
	var b strings.Builder
	for _, c := range res.Recipients {
		b.WriteString(c.Recipient + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the keycycle.ssh-to-age/v1 document of 'ssh-to-age
// --format json'; it only grows.
func (res *SSHToAgeResult) WriteJSON(w io.Writer) error {
	const schema = "keycycle.ssh-to-age/v1"
	var doc any = struct {
		Schema     string      `json:"schema"`
		Recipients []Converted `json:"recipients"`
		Skipped    []Skipped   `json:"skipped"`
	}{schema, append([]Converted{}, res.Recipients...), append([]Skipped{}, res.Skipped...)}
	if res.Private {
		doc = struct {
			Schema    string `json:"schema"`
			Identity  string `json:"identity"`
			Recipient string `json:"recipient"`
		}{schema, res.Identity, res.Recipient}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
