package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
)

type rekeyOptions struct {
	mutateFlags
	rotateDataKey bool
	keepDataKey   bool
	jobs          int
}

func newRekeyCmd(e *env) *cobra.Command {
	opts := &rekeyOptions{}
	cmd := &cobra.Command{
		Use:   "rekey [FILE...]",
		Short: "Make every secrets file carry exactly the recipients its creation rule wants",
		Long: `Rekey does for every secrets file (or the FILEs named) what 'sops updatekeys -y'
does for one: it sets the recipients its creation rule in .sops.yaml wants.

A recipient that stays keeps its wrapped data key, so adding a key wraps
only for the new one. When a recipient leaves, the file gets a new data key
and every value is encrypted again (what 'sops rotate' does), so the
removed key learns nothing from the new file; --keep-data-key does what
updatekeys does instead. --rotate-data-key gives every file a new data key.

Each file is rekeyed in memory, decrypted back and compared with the
original values (MAC checked), then replaced atomically (temporary file in
the same folder, fsync, rename). Files already in sync are not touched.

The data keys are opened with the identities sops would use: SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt, SOPS_AGE_SSH_PRIVATE_KEY_FILE
or ~/.ssh/id_ed25519. A file none of them opens is reported with the keys
that could, and the others go on (exit 1).`,
		Example: `  keycycle rekey --dry-run          # what would change, nothing written
  keycycle rekey                    # every file
  keycycle rekey sops/sorrow.yaml   # one file
  keycycle rekey --rotate-data-key  # new data keys everywhere`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRekey(cmd.Context(), opts, e.stdout, e.stderr, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.BoolVar(&opts.rotateDataKey, "rotate-data-key", false, "give every file a new data key and encrypt all values again")
	f.BoolVar(&opts.keepDataKey, "keep-data-key", false, "keep the data key when a recipient leaves (like sops updatekeys)")
	f.IntVarP(&opts.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "files rekeyed at once")
	return cmd
}

func runRekey(ctx context.Context, opts *rekeyOptions, out, diag io.Writer, args []string) error {
	prog := newProgress(diag, 0)
	res, err := ops.Rekey(ctx, opts.options(), ops.RekeyRequest{Files: args, RotateDataKey: opts.rotateDataKey,
		KeepDataKey: opts.keepDataKey, Jobs: opts.jobs, Progress: prog.step})
	prog.done()
	if res == nil {
		return err
	}
	if werr := res.Write(out, opts.format, opts.dryRun); werr != nil {
		return werr
	}
	if res.Failed() > 0 {
		if res.NoIdentity {
			fmt.Fprintln(diag, "keycycle: hint: no age identity was found; set SOPS_AGE_KEY_FILE to a key file that opens these files")
		}
		return errFindings
	}
	return err
}
