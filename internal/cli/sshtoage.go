package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/textutil"
)

// sshPassphraseEnv names the variable that holds the passphrase of an
// encrypted SSH private key for 'ssh-to-age --private'.
const sshPassphraseEnv = "KEYCYCLE_SSH_PASSPHRASE"

// maxKeyInput bounds what ssh-to-age reads: key files are small, a
// known_hosts file a few hundred kilobytes.
const maxKeyInput = 16 << 20

type sshToAgeOptions struct {
	private        bool
	passphraseFile string
	passphraseEnv  string // the value of KEYCYCLE_SSH_PASSPHRASE
	format         string

	stdin  io.Reader
	stderr io.Writer
}

func newSSHToAgeCmd(e *env) *cobra.Command {
	opts := &sshToAgeOptions{stdin: e.stdin, stderr: e.stderr}
	cmd := &cobra.Command{
		Use:   "ssh-to-age [FILE]",
		Short: "Convert OpenSSH ed25519 keys to age recipients or identities",
		Long: `ssh-to-age converts OpenSSH ed25519 keys to age keys exactly as
Mic92/ssh-to-age does (the converter sops-nix uses), reading FILE or, when
FILE is missing or "-", standard input.

Without --private it reads public keys: a .pub file, authorized_keys,
known_hosts (hashed host names too) or ssh-keyscan output, and prints one
age1… recipient per ssh-ed25519 key, in input order. Lines with other key
types are skipped with a warning on stderr.

With --private it reads an OpenSSH ed25519 private key and prints the
AGE-SECRET-KEY-1… identity that decrypts for the converted recipient. An
encrypted key needs its passphrase, from $` + sshPassphraseEnv + ` or
--passphrase-file (its final newline is removed).

The age1… recipient and the "ssh-ed25519 AAAA…" recipient of the same key
are not interchangeable in .sops.yaml: sops-nix decrypts with the host's
SSH key converted to age, so hosts need the age1… form.`,
		Example: `  keycycle ssh-to-age /etc/ssh/ssh_host_ed25519_key.pub
  ssh-keyscan -t ed25519 host.example | keycycle ssh-to-age
  keycycle ssh-to-age --format json ~/.ssh/known_hosts
  sudo keycycle ssh-to-age --private /etc/ssh/ssh_host_ed25519_key > keys.txt
  KEYCYCLE_SSH_PASSPHRASE=… keycycle ssh-to-age --private ~/.ssh/id_ed25519`,
		Args: argsHint(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.passphraseEnv = os.Getenv(sshPassphraseEnv)
			return runSSHToAge(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.private, "private", false, "convert a private key to an AGE-SECRET-KEY-1… identity")
	f.BoolVar(&opts.private, "private-key", false, "same as --private (the ssh-to-age spelling)")
	_ = f.MarkHidden("private-key")
	f.StringVar(&opts.passphraseFile, "passphrase-file", "", "read the private key's passphrase from this file (default: $"+sshPassphraseEnv+")")
	formatFlag(cmd, &opts.format, "text", "json")
	return cmd
}

func runSSHToAge(_ context.Context, opts *sshToAgeOptions, out io.Writer, args []string) error {
	if opts.passphraseFile != "" && !opts.private {
		return errorf("add --private: only private keys have a passphrase", "--passphrase-file needs --private")
	}
	src := "-"
	if len(args) == 1 {
		src = args[0]
	}
	data, name, err := readKeyInput(src, opts.stdin)
	if err != nil {
		return err
	}
	if opts.private {
		return sshPrivateToAge(opts, out, data, name)
	}
	return sshPublicToAge(opts, out, data, name)
}

// readKeyInput reads FILE, or stdin for "-"; name is what messages call it.
func readKeyInput(src string, stdin io.Reader) (data []byte, name string, err error) {
	r, name := stdin, "standard input"
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, src, errorf("check the path; with no FILE, keycycle reads standard input", "cannot open %s: %s", src, textutil.ErrReason(err))
		}
		defer f.Close()
		r, name = f, src
	}
	data, err = io.ReadAll(io.LimitReader(r, maxKeyInput+1))
	if err != nil {
		return nil, name, errorf("pass a key file or pipe one in", "cannot read %s: %v", name, err)
	}
	if len(data) > maxKeyInput {
		return nil, name, errorf("pass a key file, a .pub file, known_hosts or ssh-keyscan output", "%s is larger than 16 MiB: not a key file", name)
	}
	return data, name, nil
}

// sshToAgePublicJSON is the schema of 'ssh-to-age --format json'; it only grows.
type sshToAgePublicJSON struct {
	Schema     string          `json:"schema"`
	Recipients []convertedJSON `json:"recipients"`
	Skipped    []skippedJSON   `json:"skipped"`
}

type convertedJSON struct {
	Line      int      `json:"line"`
	Recipient string   `json:"recipient"`
	SSHKey    string   `json:"ssh_key"`
	Comment   string   `json:"comment,omitempty"`
	Hosts     []string `json:"hosts,omitempty"`
}

type skippedJSON struct {
	Line    int    `json:"line"`
	KeyType string `json:"key_type"`
	Reason  string `json:"reason"`
}

func sshPublicToAge(opts *sshToAgeOptions, out io.Writer, data []byte, name string) error {
	conv, skipped, err := agekey.ScanSSHPublicKeys(data)
	if err != nil {
		return publicConvertError(err, name)
	}
	for _, s := range skipped {
		warnf(opts.stderr, "%s line %d: skipped: %s", name, s.Line, s.Reason)
	}
	if len(conv) == 0 {
		return errorf("only ssh-ed25519 keys convert to age; fetch a host's one with 'ssh-keyscan -t ed25519 HOST'",
			"no ssh-ed25519 key in %s (%s skipped)", name, plural(len(skipped), "other key"))
	}
	if opts.format == "json" {
		doc := sshToAgePublicJSON{Schema: "keycycle.ssh-to-age/v1", Recipients: []convertedJSON{}, Skipped: []skippedJSON{}}
		for _, c := range conv {
			doc.Recipients = append(doc.Recipients, convertedJSON{Line: c.Line, Recipient: c.Recipient, SSHKey: c.SSHKey, Comment: c.Comment, Hosts: c.Hosts})
		}
		for _, s := range skipped {
			doc.Skipped = append(doc.Skipped, skippedJSON{Line: s.Line, KeyType: s.KeyType, Reason: s.Reason})
		}
		return writeSSHToAgeJSON(out, doc)
	}
	var b strings.Builder
	for _, c := range conv {
		b.WriteString(c.Recipient + "\n")
	}
	_, err = io.WriteString(out, b.String())
	return err
}

func publicConvertError(err error, name string) error {
	switch {
	case errors.Is(err, agekey.ErrNoKeys):
		return errorf("fetch a host's key with 'ssh-keyscan -t ed25519 HOST', or pass /etc/ssh/ssh_host_ed25519_key.pub",
			"no SSH public key in %s", name)
	case errors.Is(err, agekey.ErrSecretKey):
		return errorf("pass the .pub file next to it, or add --private to convert the private key",
			"%s is an SSH private key, not a public one", name)
	}
	return errorf("pass a .pub file, authorized_keys, known_hosts or ssh-keyscan output", "%s: %v", name, err)
}

func sshPrivateToAge(opts *sshToAgeOptions, out io.Writer, data []byte, name string) error {
	pass, err := sshPassphrase(opts)
	if err != nil {
		return err
	}
	id, err := agekey.SSHPrivateToAge(data, pass)
	clear(pass)
	if err != nil {
		return privateConvertError(err, name)
	}
	if opts.format == "json" {
		parsed, err := agekey.ParseIdentity(id)
		if err != nil {
			return err
		}
		rec, err := parsed.Recipient()
		if err != nil {
			return err
		}
		return writeSSHToAgeJSON(out, struct {
			Schema    string `json:"schema"`
			Identity  string `json:"identity"`
			Recipient string `json:"recipient"`
		}{"keycycle.ssh-to-age/v1", id, rec})
	}
	_, err = fmt.Fprintln(out, id)
	return err
}

// sshPassphrase returns the passphrase from --passphrase-file or the
// environment, or nil.
func sshPassphrase(opts *sshToAgeOptions) ([]byte, error) {
	if opts.passphraseFile == "" {
		return []byte(opts.passphraseEnv), nil
	}
	p, err := os.ReadFile(opts.passphraseFile)
	if err != nil {
		return nil, errorf("check the --passphrase-file path", "cannot read the passphrase file: %s", textutil.ErrReason(err))
	}
	p = bytes.TrimSuffix(p, []byte("\n"))
	p = bytes.TrimSuffix(p, []byte("\r"))
	return p, nil
}

func privateConvertError(err error, name string) error {
	hint := "pass an OpenSSH ed25519 private key, such as /etc/ssh/ssh_host_ed25519_key"
	switch {
	case errors.Is(err, agekey.ErrPassphraseNeeded):
		hint = "set " + sshPassphraseEnv + " or pass --passphrase-file FILE"
	case errors.Is(err, agekey.ErrWrongPassphrase):
		hint = "check " + sshPassphraseEnv + " or the --passphrase-file (its final newline is removed)"
	case errors.Is(err, agekey.ErrPublicKey):
		hint = "the private key is the file without .pub; drop --private to convert the public key"
	case errors.Is(err, agekey.ErrUnsupportedKeyType):
		hint = "only ed25519 SSH keys convert to age; 'keycycle keygen' makes a native age key"
	case errors.Is(err, agekey.ErrUnsupportedCipher):
		hint = "re-encrypt a copy with 'ssh-keygen -p -Z aes256-ctr -f COPY' and convert the copy"
	}
	return errorf(hint, "%s: %v", name, err)
}

func writeSSHToAgeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
