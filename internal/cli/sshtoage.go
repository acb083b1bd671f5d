package cli

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/agekey"
)

type sshToAgeOptions struct {
	agekey.SSHToAge
	format string
	stderr io.Writer
}

func newSSHToAgeCmd(e *env) *cobra.Command {
	opts := &sshToAgeOptions{SSHToAge: agekey.SSHToAge{Stdin: e.stdin}, stderr: e.stderr}
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
encrypted key needs its passphrase, from $` + agekey.SSHPassphraseEnv + ` or
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
			opts.Passphrase = os.Getenv(agekey.SSHPassphraseEnv)
			return runSSHToAge(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Private, "private", false, "convert a private key to an AGE-SECRET-KEY-1… identity")
	f.BoolVar(&opts.Private, "private-key", false, "same as --private (the ssh-to-age spelling)")
	_ = f.MarkHidden("private-key")
	f.StringVar(&opts.PassphraseFile, "passphrase-file", "", "read the private key's passphrase from this file (default: $"+agekey.SSHPassphraseEnv+")")
	formatFlag(cmd, &opts.format, "text", "json")
	return cmd
}

func runSSHToAge(_ context.Context, opts *sshToAgeOptions, out io.Writer, args []string) error {
	if len(args) == 1 {
		opts.Src = args[0]
	}
	res, err := agekey.ConvertSSH(opts.SSHToAge)
	if res != nil {
		for _, s := range res.Skipped {
			warnf(opts.stderr, "%s line %d: skipped: %s", res.Name, s.Line, s.Reason)
		}
	}
	if err != nil {
		return err
	}
	if opts.format == "json" {
		return res.WriteJSON(out)
	}
	return res.WriteText(out)
}
