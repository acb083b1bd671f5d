package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

type diffOptions struct {
	repo    string
	format  string
	exclude []string
	stderr  io.Writer
}

func newDiffCmd(e *env) *cobra.Command {
	opts := &diffOptions{stderr: e.stderr}
	cmd := &cobra.Command{
		Use:   "diff [FROM [TO]]",
		Short: "Who gained or lost the ability to decrypt which file between two revisions",
		Long: `Diff compares the recipients of every encrypted file at two git revisions,
from the files' own metadata (no private key needed): the review aid for a
pull request on a secrets repository.

  keycycle diff              HEAD against the working tree
  keycycle diff REV          REV against the working tree
  keycycle diff FROM TO      two revisions, e.g. origin/main HEAD

A key that disappears from a file's metadata lost access to what is
written from now on; unless the file got a new data key at the same time,
whoever kept the old file could still read it (keycycle rekey does that on
every removal). When an identity of yours opens both versions of a file,
diff says whether its data key changed ("new data key", JSON
data_key_rotated); without one it can only tell whether the values were
encrypted again (the MAC changed).`,
		Example: `  keycycle diff origin/main HEAD
  keycycle diff --format json HEAD~1`,
		Args: argsHint(cobra.MaximumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), opts, e.stdout, args)
		},
	}
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json")
	cmd.Flags().StringArrayVar(&opts.exclude, "exclude", nil, "glob of files to leave out (repeatable)")
	return cmd
}

// diffKey is one recipient in a diff.
type diffKey struct {
	Name      string `json:"name,omitempty"`
	Recipient string `json:"recipient"`
}

// diffFile is what changed for one file.
type diffFile struct {
	File   string    `json:"file"`
	Status string    `json:"status"` // added, removed, changed
	Gained []diffKey `json:"gained"`
	Lost   []diffKey `json:"lost"`
	// Rewritten is true when the file's MAC changed: its values were
	// encrypted again. When it is false the data key is the same, so a
	// key that was removed can still read what the file holds.
	Rewritten bool `json:"rewritten"`
	// DataKeyRotated says whether the data key changed, when an identity
	// here opens both versions (absent otherwise).
	DataKeyRotated *bool `json:"data_key_rotated,omitempty"`
	// raw holds the two versions, for the data key comparison.
	raw [2][]byte
}

// snapshot is the encrypted files of one side and the key names its
// .sops.yaml gives.
type snapshot struct {
	files map[string]*repo.File
	raw   map[string][]byte
	names names
}

func runDiff(ctx context.Context, opts *diffOptions, out io.Writer, args []string) error {
	if err := checkFormat(opts.format, "text", "json"); err != nil {
		return err
	}
	cfgPath, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	root := filepath.Dir(cfgPath)
	from, to := "HEAD", ""
	if len(args) > 0 {
		from = args[0]
	}
	if len(args) > 1 {
		to = args[1]
	}
	a, err := snapshotAt(ctx, root, from, opts.exclude)
	if err != nil {
		return revisionError(from, err)
	}
	b, err := snapshotAt(ctx, root, to, opts.exclude)
	if err != nil {
		return revisionError(to, err)
	}
	files := compareSnapshots(a, b)
	dataKeys(files, identities(opts.stderr))
	if to == "" {
		to = "working tree"
	}
	if opts.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema string     `json:"schema"`
			From   string     `json:"from"`
			To     string     `json:"to"`
			Files  []diffFile `json:"files"`
		}{"keycycle.diff/v1", from, to, files})
	}
	writeDiffText(out, from, to, files)
	return nil
}

// revisionError says which revision could not be read, and how to name one.
func revisionError(rev string, err error) error {
	if rev == "" {
		return err
	}
	return errorf("name a commit, branch or tag ('git log --oneline' lists them); 'keycycle diff REV' compares REV with the working tree",
		"cannot read revision %q: %s", rev, textutil.OneLine(err.Error()))
}

// dataKeys fills in DataKeyRotated where an identity opens both versions
// of a changed file.
func dataKeys(files []diffFile, ids []age.Identity) {
	for i := range files {
		f := &files[i]
		if f.Status != "changed" || f.raw[0] == nil || f.raw[1] == nil {
			continue
		}
		if same, known := sopsfile.SameDataKey(f.File, f.raw[0], f.raw[1], ids); known {
			rotated := !same
			f.DataKeyRotated = &rotated
		}
	}
}

// snapshotAt reads the encrypted files at rev ("" = the working tree).
func snapshotAt(ctx context.Context, root, rev string, exclude []string) (*snapshot, error) {
	contents, err := treeContents(ctx, root, rev, exclude)
	if err != nil {
		return nil, err
	}
	s := &snapshot{files: map[string]*repo.File{}, raw: map[string][]byte{}, names: names{}}
	if cfg, ok := contents[sopsconfig.FileName]; ok {
		if c, err := sopsconfig.Parse(sopsconfig.FileName, cfg); err == nil {
			s.names = anchorNames(c)
		}
	}
	for rel, data := range contents {
		if !repo.LooksEncrypted(data) {
			continue
		}
		if f, err := sopsfile.Parse(rel, data); err == nil {
			s.files[rel] = f
			s.raw[rel] = data
		}
	}
	return s, nil
}

func treeContents(ctx context.Context, root, rev string, exclude []string) (map[string][]byte, error) {
	if rev != "" {
		m, err := vcs.ReadTree(ctx, root, rev, nil)
		if err != nil {
			return nil, vcsError(err)
		}
		return filterExcluded(m, exclude), nil
	}
	rels, err := repo.ListFiles(root, exclude)
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	for _, rel := range append(rels, sopsconfig.FileName) {
		if data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			m[rel] = data
		}
	}
	return m, nil
}

func filterExcluded(m map[string][]byte, exclude []string) map[string][]byte {
	for rel := range m {
		if repo.Excluded(exclude, rel) {
			delete(m, rel)
		}
	}
	return m
}

func compareSnapshots(a, b *snapshot) []diffFile {
	seen := map[string]bool{}
	var out []diffFile
	for _, side := range []map[string]*repo.File{a.files, b.files} {
		for rel := range side {
			if seen[rel] {
				continue
			}
			seen[rel] = true
			if d, ok := compareFile(rel, a, b); ok {
				out = append(out, d)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

func compareFile(rel string, a, b *snapshot) (diffFile, bool) {
	fa, fb := a.files[rel], b.files[rel]
	d := diffFile{File: rel, Status: "changed", Gained: []diffKey{}, Lost: []diffKey{}}
	var before, after []string
	if fa != nil {
		before = fa.Meta.Recipients()
	} else {
		d.Status = "added"
	}
	if fb != nil {
		after = fb.Meta.Recipients()
	} else {
		d.Status = "removed"
	}
	for _, r := range minusStrings(after, before) {
		d.Gained = append(d.Gained, diffKey{Name: b.names[r], Recipient: r})
	}
	for _, r := range minusStrings(before, after) {
		d.Lost = append(d.Lost, diffKey{Name: a.names[r], Recipient: r})
	}
	if fa != nil && fb != nil {
		d.Rewritten = fa.Meta.MAC != fb.Meta.MAC
		d.raw = [2][]byte{a.raw[rel], b.raw[rel]}
	}
	return d, d.Status != "changed" || len(d.Gained)+len(d.Lost) > 0
}

func minusStrings(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func writeDiffText(out io.Writer, from, to string, files []diffFile) {
	if len(files) == 0 {
		fmt.Fprintf(out, "no change in who can decrypt what between %s and %s\n", from, to)
		return
	}
	for _, f := range files {
		var parts []string
		for _, k := range f.Gained {
			parts = append(parts, "+"+keyLabel(k))
		}
		for _, k := range f.Lost {
			parts = append(parts, "-"+keyLabel(k))
		}
		note := ""
		switch {
		case f.DataKeyRotated != nil && *f.DataKeyRotated:
			note = " (new data key)"
		case f.DataKeyRotated != nil && len(f.Lost) > 0:
			note = " (same data key: the removed keys can still read this content)"
		case f.DataKeyRotated == nil && len(f.Lost) > 0 && f.Status == "changed" && !f.Rewritten:
			note = " (values not re-encrypted: the removed keys can still read this content)"
		}
		fmt.Fprintf(out, "%s: %s %s%s\n", f.File, f.Status, strings.Join(parts, " "), note)
	}
}

func keyLabel(k diffKey) string {
	if k.Name != "" {
		return k.Name
	}
	return k.Recipient
}
