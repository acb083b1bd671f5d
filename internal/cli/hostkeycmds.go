package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
)

// hostKeyFlags adds the flags every host-side key command shares: the
// host's root and its sops-nix key file (a host path, under --root).
func hostKeyFlags(cmd *cobra.Command) *hostkey.Host {
	h := &hostkey.Host{}
	cmd.Flags().StringVar(&h.Root, "root", "/", "folder standing for the host's / (the key file is found under it)")
	cmd.Flags().StringVar(&h.KeyFile, "key-file", hostcheck.DefaultKeyFile, "the age key file sops-nix reads (a host path)")
	return h
}

// newHostKeyCmds returns the host-side rotation commands; 'keycycle
// host' registers them.
func newHostKeyCmds(e *env) []*cobra.Command {
	return []*cobra.Command{newHostKeygenCmd(e), newHostVerifyCmd(e), newHostInstallKeyCmd(e),
		newHostRestoreKeyCmd(e), newHostRetireKeyCmd(e)}
}

func newHostKeygenCmd(e *env) *cobra.Command {
	var h *hostkey.Host
	var out string
	var reuse bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a new age key on this host for a rotation; print only its recipient",
		Long: `Host keygen makes a new age identity on the host, so that the private key
never leaves it: the file is created 0600 (never overwriting one) and only
the public recipient is printed. Without --out the key is staged beside
the key file (KEY` + hostkey.StagedSuffix + `), where 'host install-key' takes it.
--reuse prints the recipient of a key already at that path instead of
failing, so that a repeated rotation step gets the same key.`,
		Example: `  keycycle host keygen
  keycycle host keygen --out /root/new-key.txt`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, r, existed, err := h.NewKey(out, reuse)
			if err != nil {
				return err
			}
			if existed {
				fmt.Fprintf(e.stderr, "keycycle: kept the key already at %s\n", path)
			}
			_, err = fmt.Fprintln(e.stdout, r)
			return err
		},
	}
	h = hostKeyFlags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "write the new key here (taken as given, not under --root)")
	cmd.Flags().BoolVar(&reuse, "reuse", false, "when a valid key is already at the path, print its recipient")
	return cmd
}

func newHostVerifyCmd(e *env) *cobra.Command {
	var h *hostkey.Host
	p := &hostkey.Proof{}
	cmd := &cobra.Command{
		Use:   "verify < FILE",
		Short: "Prove that one key alone opens the sops file on stdin (prints ok or fail)",
		Long: `Host verify reads a sops-encrypted file on stdin and proves that the key
file (--key, or the host's key file) alone opens it: the data key is
unwrapped with that key and nothing else, every value is decrypted and the
MAC is checked. It prints "ok" or "fail: why" and never any plaintext.

--recipient narrows a key file holding several identities (a user's
keys.txt during a rotation) to the one of that recipient: the proof is
then that this key alone opens the file.

--sops-nix-keys names the identities sops-nix gathered at its last
activation (` + rotation.SopsNixKeys + `, a host path under --root): when that file
exists, the key must be among them too and open the file alone. This
catches a host whose sops-nix does not read the key file (sshKeyPaths
only), or that was not activated since the key was installed.

--name gives the file's name, whose extension tells its format (default
YAML). Exit code 1 when the key does not open the file.`,
		Example: `  keycycle host verify < sops/griefling.yaml
  ssh root@griefling keycycle host verify --name shared.yaml < sops/shared.yaml`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostVerify(e, h, p)
		},
	}
	h = hostKeyFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&p.KeyFile, "key", "", "the key file to prove (taken as given; default the host's key file)")
	f.StringVar(&p.Name, "name", "stdin.yaml", "name of the file on stdin; its extension tells the format")
	f.StringVar(&p.Recipient, "recipient", "", "use only the key file's identity of this recipient")
	f.StringVar(&p.SopsNixKeys, "sops-nix-keys", "", "also prove with sops-nix's gathered keys (a host path), when that file exists")
	return cmd
}

func runHostVerify(e *env, h *hostkey.Host, p *hostkey.Proof) error {
	fail, err := h.Verify(e.stdin, *p)
	if err != nil {
		return err
	}
	if fail != "" {
		fmt.Fprintf(e.stdout, "fail: %s\n", fail)
		return errFindings
	}
	_, err = fmt.Fprintln(e.stdout, "ok")
	return err
}

// hostSwapCmd makes one of the commands that swap the host's key files
// (install-key, restore-key, retire-key): run does the swap, unchanged
// is said on stderr when there was nothing to do, fromHelp describes
// --from ("": no --from).
func hostSwapCmd(e *env, cmd *cobra.Command, fromHelp, unchanged string, run func(h *hostkey.Host, from string) (hostkey.Result, error)) *cobra.Command {
	h := hostKeyFlags(cmd)
	var from string
	if fromHelp != "" {
		cmd.Flags().StringVar(&from, "from", "", fromHelp)
	}
	cmd.Args = argsHint(cobra.NoArgs)
	cmd.RunE = func(*cobra.Command, []string) error {
		res, err := run(h, from)
		if err != nil {
			return err
		}
		if !res.Changed {
			fmt.Fprintln(e.stderr, unchanged)
		}
		_, err = fmt.Fprintln(e.stdout, res.Recipient)
		return err
	}
	return cmd
}

func newHostInstallKeyCmd(e *env) *cobra.Command {
	return hostSwapCmd(e, &cobra.Command{
		Use:   "install-key",
		Short: "Make a new key the host's key file, keeping the previous one for rollback",
		Long: `Host install-key swaps the key file sops-nix reads for the key at --from
(default: the key 'host keygen' staged, KEY` + hostkey.StagedSuffix + `). The previous key is
first kept, 0600, at KEY` + hostkey.KeptSuffix + ` ('host restore-key' puts it back,
'host retire-key' deletes it once the rotation is done); the swap itself is
one atomic rename. Repeating it finishes an interrupted swap. It prints
the recipient of the installed key.`,
	}, "the new key file (taken as given; default the staged key)", "keycycle: already installed", (*hostkey.Host).Install)
}

func newHostRestoreKeyCmd(e *env) *cobra.Command {
	return hostSwapCmd(e, &cobra.Command{
		Use:   "restore-key",
		Short: "Put back the key install-key replaced (rollback of a rotation)",
		Long: `Host restore-key undoes 'host install-key': the kept previous key becomes
the key file again (or the key file is removed when there was none), and
a staged new key that was never installed is deleted. With nothing to
undo it changes nothing. It prints the recipient of the key file.`,
	}, "the staged new key to delete (default KEY"+hostkey.StagedSuffix+")", "keycycle: nothing to restore", (*hostkey.Host).Restore)
}

func newHostRetireKeyCmd(e *env) *cobra.Command {
	return hostSwapCmd(e, &cobra.Command{
		Use:   "retire-key",
		Short: "Delete the previous key kept for rollback, once a rotation is done",
	}, "", "keycycle: no kept key", func(h *hostkey.Host, _ string) (hostkey.Result, error) { return h.Retire() })
}
