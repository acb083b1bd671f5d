package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/agekey"
)

type keygenOptions struct {
	output string

	stderr io.Writer
}

func newKeygenCmd(e *env) *cobra.Command {
	opts := &keygenOptions{stderr: e.stderr}
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Generate an age identity (X25519 key pair)",
		Long: `keygen generates a new age X25519 identity in the age-keygen format
("# created: …", "# public key: age1…", then the AGE-SECRET-KEY-1… line).

With -o FILE it writes the identity to FILE, created with mode 0600 and
never overwriting an existing file, and prints only the public recipient
on stdout ("Public key: …" also goes to stderr, as age-keygen prints it).
Without -o, like age-keygen, it writes the identity to stdout.

For a host's sops-nix key, generate the key on the host itself, so that
the private key never leaves it.`,
		Example: `  keycycle keygen -o ~/.config/sops/age/keys.txt
  keycycle keygen -o backup-key.txt >> recipients.txt
  keycycle keygen > key.txt     # like age-keygen; mind the file mode`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeygen(cmd.Context(), opts, e.stdout, args)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the identity to this new file (mode 0600) instead of stdout")
	return cmd
}

func runKeygen(_ context.Context, opts *keygenOptions, out io.Writer, _ []string) error {
	rec, err := agekey.Keygen(opts.output, out)
	if err != nil {
		return err
	}
	if opts.output == "" || opts.output == "-" {
		if !isTerminal(out) {
			fmt.Fprintf(opts.stderr, "Public key: %s\n", rec)
		}
		return nil
	}
	fmt.Fprintf(opts.stderr, "Public key: %s\n", rec)
	_, err = fmt.Fprintln(out, rec)
	return err
}
