package change

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/failpoint"
	"github.com/keycycle/keycycle/internal/fsutil"
)

// ErrChangedMeanwhile means a file changed between the plan and its
// write: another tool (sops edit, a git pull) wrote it. The file was left
// as that tool wrote it.
var ErrChangedMeanwhile = errors.New("changed since the change was planned")

// Apply writes the plan: the new .sops.yaml first, then the public
// files, every secrets file atomically, and the deletions last. Before
// the first write it checks that .sops.yaml and every file to rewrite are
// still the bytes Prepare read (nothing is written otherwise); then each
// file is compared again right before its rename, so that a change made
// meanwhile by another tool is never overwritten (what remains is the
// instant between that comparison and the rename). It stops at the first
// error; what was written stays consistent (see the package doc), and
// the record of the change (Plan.Record) finishes it.
func (p *Plan) Apply() error {
	if err := p.Check(); err != nil {
		return err
	}
	return p.Write()
}

// Check is Apply's first part: it fails, with nothing written, when
// .sops.yaml or a file to rewrite changed since Prepare read it.
func (p *Plan) Check() error { return p.unchanged() }

// Write is Apply's second part: the writes, each file compared again
// right before its rename. Callers that record an intent between the two
// call Check, then Write.
func (p *Plan) Write() (err error) {
	if p.req.NewConfig != nil && !bytes.Equal(p.req.NewConfig, p.req.OldConfig) {
		if err := fsutil.WriteFileAtomic(p.req.ConfigPath, p.req.NewConfig, configMode(p.req.ConfigPath)); err != nil {
			return err
		}
	}
	failpoint.Hit("change.config")
	root := filepath.Dir(p.req.ConfigPath)
	for _, f := range p.req.Public {
		if err := fsutil.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(f.Rel)), f.Data, 0o644); err != nil {
			return err
		}
	}
	// The secrets files' folders are synced once each, at the end (also
	// after a failure, for what was written).
	var b fsutil.Batch
	defer func() { err = errors.Join(err, b.Sync()) }()
	for _, f := range p.Files {
		if f.Action == "delete" {
			continue
		}
		abs := filepath.Join(root, filepath.FromSlash(f.Rel))
		if err := b.WriteFileIf(abs, f.output, f.mode, func() error { return f.still(abs) }); err != nil {
			return err
		}
		if p.written != nil {
			p.written(f.Rel)
		}
		failpoint.Hit("change.file")
	}
	for _, f := range p.Files {
		if f.Action != "delete" {
			continue
		}
		if err := b.Remove(filepath.Join(root, filepath.FromSlash(f.Rel))); err != nil {
			return err
		}
		failpoint.Hit("change.file")
	}
	return nil
}

// still checks that the file at abs is what the plan started from: the
// bytes it read (rekey, edit), or no file (create).
func (f *FileResult) still(abs string) error {
	if f.Action == "create" {
		// Anything at the path (a file, a folder) was put there
		// meanwhile; a path that cannot be reached fails at the write.
		if _, err := os.Lstat(abs); err == nil {
			return fmt.Errorf("%s: %w: it was created meanwhile", f.Rel, ErrChangedMeanwhile)
		}
		return nil
	}
	cur, err := os.ReadFile(abs)
	if err != nil {
		return err
	}
	if sha256.Sum256(cur) != f.input {
		return fmt.Errorf("%s: %w", f.Rel, ErrChangedMeanwhile)
	}
	return nil
}

// unchanged checks that nobody changed .sops.yaml or a file to rewrite
// since Prepare read them.
func (p *Plan) unchanged() error {
	if p.req.OldConfig != nil {
		cur, err := os.ReadFile(p.req.ConfigPath)
		if err != nil {
			return err
		}
		if !bytes.Equal(cur, p.req.OldConfig) {
			return fmt.Errorf("nothing was changed: %s changed since the change was planned; run the command again", filepath.Base(p.req.ConfigPath))
		}
	}
	root := filepath.Dir(p.req.ConfigPath)
	for _, f := range p.Files {
		if f.Action == "delete" || f.output == nil {
			continue
		}
		if err := f.still(filepath.Join(root, filepath.FromSlash(f.Rel))); err != nil {
			if errors.Is(err, ErrChangedMeanwhile) {
				return fmt.Errorf("nothing was changed: %s changed since the change was planned; run the command again", f.Rel)
			}
			return err
		}
	}
	return nil
}

func configMode(path string) os.FileMode {
	if st, err := os.Stat(path); err == nil {
		return st.Mode().Perm()
	}
	return 0o644
}
