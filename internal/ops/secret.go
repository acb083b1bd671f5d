package ops

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/textutil"
)

// SecretResult is what a secret command did, or in a dry run would do.
type SecretResult struct {
	// Nothing is set when there was nothing to change: no plan was made
	// or shown.
	Nothing bool
	// Done are the values set, generated, regenerated, removed or moved,
	// and the public halves set, in order.
	Done []audit.SecretRef
	// Public are the public key files written, relative to the root.
	Public []string
	// Audit is the change's audit record (its by-hand list included).
	Audit audit.Entry
	// ByHand are the missing secrets ensure found without a generator.
	ByHand []secret.Need
	// Revocation is the revocation regenerate found, Regen what it did
	// with each secret the removed key could read.
	Revocation *secret.Revocation
	Regen      secret.Regen
}

// Left says whether secrets are left to change by hand (ensure's without
// a generator, regenerate's without one or to rotate): the command found
// problems.
func (r *SecretResult) Left() bool {
	return len(r.ByHand) > 0 || len(r.Regen.ByHand) > 0 || len(r.Regen.Rotate) > 0
}

// secretStep is what a secret operation fills: the batch of values, the
// change request (its audit record, public files), the .sops.yaml
// editor (a key to register) and the result.
type secretStep struct {
	r   *secret.Repo
	b   *secret.Batch
	req *change.Request
	ed  *configedit.Editor
	res *SecretResult
}

// secretChange runs one change of values through the session: fill
// builds it, and the change is planned, shown and written as one.
func secretChange(ctx context.Context, o Options, verb string, fill func(st *secretStep) error) (res *SecretResult, err error) {
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	ed, err := s.Editor()
	if err != nil {
		return nil, err
	}
	r, err := secret.Open(s.ConfigPath, s.Identities(), s.Opts.Stderr)
	if err != nil {
		return nil, err
	}
	req := s.Request(ed)
	req.Only = []string{}
	b := r.NewBatch()
	res = &SecretResult{}
	if err := fill(&secretStep{r: r, b: b, req: &req, ed: ed, res: res}); err != nil {
		return nil, secret.Error(err)
	}
	req.NewConfig = ed.Bytes()
	if b.Empty() {
		res.Nothing, res.Audit = true, req.Audit
		return res, nil
	}
	if err := b.Fill(&req); err != nil {
		return nil, secret.Error(err)
	}
	subject := "keycycle: secret " + verb + " " + refList(b)
	if _, err := s.Change(ctx, Change{Subject: subject, Diff: ed.Diff(), Request: req}); err != nil {
		return nil, err
	}
	res.Done, res.Audit = b.Done, req.Audit
	for _, p := range b.Public {
		res.Public = append(res.Public, p.Rel)
	}
	return res, nil
}

// refList names the values a batch changes, for a commit's subject.
func refList(b *secret.Batch) string {
	var names []string
	for _, d := range b.Done {
		if d.Action != "public" {
			names = append(names, d.File+":"+d.Path)
		}
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	return strings.Join(names, ", ")
}

// SecretSetRequest is 'secret set FILE PATH': the value read from Value,
// or with Generate made by PATH's generator (of Kind, when given).
type SecretSetRequest struct {
	File, Path string
	Value      secret.ValueSource
	Generate   bool
	Kind       string
}

// SecretSet reads the value (before the repository is locked) and sets
// PATH in FILE to it, creating FILE under its rule when missing. With
// Generate it is SecretGenerate, replacing any value.
func SecretSet(ctx context.Context, o Options, q SecretSetRequest) (*SecretResult, error) {
	switch {
	case q.Generate && (q.Value.FromFile != "" || q.Value.Raw):
		return nil, textutil.Hintf("choose one source of the value", "--generate takes no --from-file or --raw")
	case q.Generate:
		return SecretGenerate(ctx, o, SecretGenerateRequest{File: q.File, Path: q.Path, Gen: secret.GenOptions{Kind: q.Kind}, Force: true})
	case q.Kind != "":
		return nil, textutil.Hintf("add --generate to make the value with that kind", "--kind is for --generate")
	}
	value, err := secret.ReadValue(q.Value)
	if err != nil {
		return nil, err
	}
	return secretChange(ctx, o, "set", func(st *secretStep) error {
		rel, err := st.r.FileAndPath(q.File, q.Path)
		if err != nil {
			return err
		}
		return st.b.Set(rel, q.Path, value, "set")
	})
}

// SecretRemove removes path (a value, or a mapping) from file.
func SecretRemove(ctx context.Context, o Options, file, path string) (*SecretResult, error) {
	return secretChange(ctx, o, "rm", func(st *secretStep) error {
		rel, err := st.r.FileAndPath(file, path)
		if err != nil {
			return err
		}
		return st.b.Remove(rel, path)
	})
}

// SecretMoveRequest is 'secret mv FILE PATH NEWPATH [--to FILE2]'.
type SecretMoveRequest struct {
	File, Path, NewPath string
	// To, when set, is the file the value moves to.
	To string
}

// SecretMove renames PATH within FILE, or moves its value to NEWPATH in
// To (which must not hold it yet) in the same change.
func SecretMove(ctx context.Context, o Options, q SecretMoveRequest) (*SecretResult, error) {
	return secretChange(ctx, o, "mv", func(st *secretStep) error {
		rel, err := st.r.FileAndPath(q.File, q.Path)
		if err != nil {
			return err
		}
		dst := q.File
		if q.To != "" {
			dst = q.To
		}
		dstRel, err := st.r.FileAndPath(dst, q.NewPath)
		if err != nil {
			return err
		}
		if dstRel == rel {
			return st.b.Move(rel, q.Path, q.NewPath)
		}
		if err := st.r.RefuseExisting(dstRel, q.NewPath, false); err != nil {
			return err
		}
		return st.b.MoveAcross(rel, q.Path, dstRel, q.NewPath)
	})
}

// SecretGetRequest is 'secret get FILE PATH'.
type SecretGetRequest struct {
	// Repo is --repo (FindConfig).
	Repo       string
	File, Path string
	// Warnf warns of a key file others can read; nil drops it.
	Warnf func(format string, args ...any)
}

// SecretGet decrypts the value of PATH in FILE, in memory.
func SecretGet(q SecretGetRequest) (string, error) {
	cfgPath, err := findConfigAbs(q.Repo)
	if err != nil {
		return "", err
	}
	r, err := secret.Open(cfgPath, Identities(q.Warnf), nil)
	if err != nil {
		return "", err
	}
	return r.Value(q.File, q.Path)
}

// SecretListRequest is 'secret list [FILE]'.
type SecretListRequest struct {
	Repo    string
	Exclude []string
	// File, when set, is the one file to list.
	File string
}

// SecretList lists the secret paths of File, or of every secrets file,
// from their metadata: no key is needed.
func SecretList(ctx context.Context, q SecretListRequest) ([]secret.FileSecrets, error) {
	if q.File != "" {
		abs, err := findConfigAbs(q.Repo)
		if err != nil {
			return nil, err
		}
		fs, err := (&secret.Repo{Root: filepath.Dir(abs), ConfigPath: abs}).ListFile(q.File)
		if err != nil {
			return nil, err
		}
		return []secret.FileSecrets{fs}, nil
	}
	rp, err := LoadRepo(ctx, q.Repo, q.Exclude)
	if err != nil {
		return nil, err
	}
	var list []secret.FileSecrets
	for _, e := range rp.Entries {
		if e.File != nil {
			list = append(list, secret.FileSecrets{File: e.Rel, Secrets: secret.Paths(e.File.Secrets)})
		}
	}
	return list, nil
}
