package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/secret/keypath"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// Repo is the secrets repository the secret commands work on.
type Repo struct {
	Root       string
	ConfigPath string
	// Policy is keycycle.yaml, nil when there is none.
	Policy     *policy.Config
	Identities []age.Identity
	// Stderr receives a command generator's stderr.
	Stderr io.Writer
}

// Rel checks a FILE argument and returns it relative to the root,
// slash-separated.
func (r *Repo) Rel(file string) (string, error) {
	abs := file
	if !filepath.IsAbs(abs) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		abs = filepath.Join(wd, file)
	}
	rel, err := filepath.Rel(r.Root, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s is not inside the repository %s", file, r.Root)
	}
	return filepath.ToSlash(rel), nil
}

// Abs returns a relative path's absolute path.
func (r *Repo) Abs(rel string) string { return filepath.Join(r.Root, filepath.FromSlash(rel)) }

// Batch collects changes to values, file by file, and turns them into
// the edits and creates of one change. It holds values in memory only.
type Batch struct {
	repo  *Repo
	ops   map[string][]sopsfile.ValueOp
	order []string
	// Public are non-secret files to write (public keys).
	Public []change.PublicFile
	// Done names what the change does, for the audit entry.
	Done []audit.SecretRef
}

// NewBatch starts an empty batch.
func (r *Repo) NewBatch() *Batch { return &Batch{repo: r, ops: map[string][]sopsfile.ValueOp{}} }

func (b *Batch) add(rel string, op sopsfile.ValueOp, ref audit.SecretRef) {
	if _, ok := b.ops[rel]; !ok {
		b.order = append(b.order, rel)
	}
	b.ops[rel] = append(b.ops[rel], op)
	b.Done = append(b.Done, ref)
}

// Set sets path in the file rel to value; action names it for the audit
// entry (set, generate, regenerate, public).
func (b *Batch) Set(rel, path, value, action string) error {
	keys, err := keypath.Parse(path)
	if err != nil {
		return err
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("the value of %s is not UTF-8 text: sops stores text; encode it first (base64)", path)
	}
	b.add(rel, sopsfile.Set(keys, value), audit.SecretRef{File: rel, Path: path, Action: action})
	return nil
}

// Remove removes path (a value, or a mapping with everything below it).
func (b *Batch) Remove(rel, path string) error {
	keys, err := keypath.Parse(path)
	if err != nil {
		return err
	}
	b.add(rel, sopsfile.Unset(keys), audit.SecretRef{File: rel, Path: path, Action: "remove"})
	return nil
}

// Move moves from to to within the file rel.
func (b *Batch) Move(rel, from, to string) error {
	f, err := keypath.Parse(from)
	if err != nil {
		return err
	}
	t, err := keypath.Parse(to)
	if err != nil {
		return err
	}
	b.add(rel, sopsfile.Move(f, t), audit.SecretRef{File: rel, Path: to, From: from, Action: "move"})
	return nil
}

// MoveAcross moves one value from a file to another: it is read in
// memory, set in dst and removed from src, in the same change.
func (b *Batch) MoveAcross(src, from, dst, to string) error {
	keys, err := keypath.Parse(from)
	if err != nil {
		return err
	}
	if _, err := keypath.Parse(to); err != nil {
		return err
	}
	data, err := os.ReadFile(b.repo.Abs(src))
	if err != nil {
		return err
	}
	v, err := sopsfile.GetValue(b.repo.Abs(src), data, keys, sopsfile.EditOptions{ConfigPath: b.repo.ConfigPath, Identities: b.repo.Identities})
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := b.Remove(src, from); err != nil {
		return err
	}
	b.Done = b.Done[:len(b.Done)-1] // recorded as one move below
	if err := b.Set(dst, to, v, "move"); err != nil {
		return err
	}
	b.Done[len(b.Done)-1].From = src + ":" + from
	return nil
}

// Generate makes a value for path with g and sets it (and the public
// half where g says). It returns the public half, if any.
func (b *Batch) Generate(ctx context.Context, rel, path string, g *policy.Generator, action string) (string, error) {
	if strings.Contains(g.Comment, "{host}") {
		c := *g
		c.Comment = strings.ReplaceAll(c.Comment, "{host}", b.repo.hostOf(rel))
		g = &c
	}
	v, err := Generate(ctx, g, CommandEnv{File: rel, Path: path, Host: b.repo.hostOf(rel), Stderr: b.repo.Stderr})
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", rel, path, err)
	}
	if err := b.Set(rel, path, v.Secret, action); err != nil {
		return "", err
	}
	if g.PublicSecret != "" {
		if err := b.Set(rel, g.PublicSecret, v.Public, "public"); err != nil {
			return "", err
		}
	}
	if g.PublicFile != "" {
		pub := g.PublicFile
		if strings.Contains(pub, "{host}") {
			host := b.repo.hostOf(rel)
			if host == "" {
				return "", fmt.Errorf("%s: the generator's public_file %s names {host}, but %s is no host's file (files.host in keycycle.yaml)", path, pub, rel)
			}
			pub = strings.ReplaceAll(pub, "{host}", host)
		}
		b.Public = append(b.Public, change.PublicFile{Rel: pub, Data: []byte(strings.TrimSuffix(v.Public, "\n") + "\n")})
	}
	return v.Public, nil
}

// hostOf returns the host whose file rel is (keycycle.yaml's files.host
// pattern), or "" (the shared file is no host's).
func (r *Repo) hostOf(rel string) string {
	pattern, shared := policy.DefaultHostFile, policy.DefaultSharedFile
	if r.Policy != nil {
		pattern, shared = r.Policy.Files.Host, r.Policy.Files.Shared
	}
	if rel == shared {
		return ""
	}
	pre, post, ok := strings.Cut(pattern, "{host}")
	if !ok || !strings.HasPrefix(rel, pre) || !strings.HasSuffix(rel, post) || len(rel) <= len(pre)+len(post) {
		return ""
	}
	host := rel[len(pre) : len(rel)-len(post)]
	if strings.Contains(host, "/") {
		return ""
	}
	return host
}

// Empty says whether the batch changes nothing.
func (b *Batch) Empty() bool { return len(b.order) == 0 && len(b.Public) == 0 }

// Fill adds the batch to a change: an Edit for each existing file, a
// NewFile (its plaintext built in memory) for each new one, the public
// files, and the audit record.
func (b *Batch) Fill(req *change.Request) error {
	opts := sopsfile.EditOptions{ConfigPath: b.repo.ConfigPath, Identities: b.repo.Identities}
	for _, rel := range b.order {
		ops := b.ops[rel]
		_, err := os.Lstat(b.repo.Abs(rel))
		switch {
		case err == nil:
			if err := checkOps(b.repo.Abs(rel), rel, ops); err != nil {
				return err
			}
			req.Edit = append(req.Edit, change.Edit{Rel: rel, Apply: func(abs string, cur []byte) ([]byte, error) {
				return sopsfile.EditValues(abs, cur, ops, opts)
			}})
		case errors.Is(err, fs.ErrNotExist):
			for _, op := range ops {
				if op.Op != "set" {
					return fmt.Errorf("%s does not exist: %w", rel, sopsfile.ErrNotFound)
				}
			}
			if _, err := sopsfile.WantedFor(b.repo.ConfigPath, b.repo.Abs(rel)); err != nil {
				return fmt.Errorf("%s does not exist and cannot be created: %w", rel, err)
			}
			plain, err := sopsfile.PlainDocument(b.repo.Abs(rel), ops)
			if err != nil {
				return err
			}
			req.Create = append(req.Create, change.NewFile{Rel: rel, Plaintext: plain})
		default:
			return err
		}
	}
	req.Public = append(req.Public, b.Public...)
	req.Audit.Secrets = append(req.Audit.Secrets, b.Done...)
	return nil
}

// checkOps checks the operations against the file's secret paths (its
// metadata: no key needed), so that a path that is not there, or one in
// the way, is refused before any change is planned.
func checkOps(abs, rel string, ops []sopsfile.ValueOp) error {
	f, err := sopsfile.Read(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	names := map[string]bool{}
	for _, s := range f.Secrets {
		names[s.Name()] = true
	}
	has := func(p string) bool {
		for n := range names {
			if keypath.Within(n, p) {
				return true
			}
		}
		return false
	}
	drop := func(p string) {
		for n := range names {
			if keypath.Within(n, p) {
				delete(names, n)
			}
		}
	}
	for _, op := range ops {
		p := keypath.Format(op.Path)
		switch op.Op {
		case "unset":
			if !has(p) {
				return fmt.Errorf("%s: %w: %s", rel, sopsfile.ErrNotFound, p)
			}
			drop(p)
		case "move":
			to := keypath.Format(op.To)
			switch {
			case !has(p):
				return fmt.Errorf("%s: %w: %s", rel, sopsfile.ErrNotFound, p)
			case has(to):
				return fmt.Errorf("%s: %s already exists: remove it first", rel, to)
			case keypath.Within(to, p):
				return fmt.Errorf("%s: cannot move %s into itself (%s)", rel, p, to)
			}
			if err := settableName(names, rel, op.To); err != nil {
				return err
			}
			drop(p)
			names[to] = true
		case "set":
			if err := settableName(names, rel, op.Path); err != nil {
				return err
			}
			for n := range names {
				if n != p && keypath.Within(n, p) {
					return fmt.Errorf("%s: %s holds several values: remove it first, or name one below it", rel, p)
				}
			}
			names[p] = true
		}
	}
	return nil
}

// settableName refuses a path below a value.
func settableName(names map[string]bool, rel string, keys []string) error {
	for i := 1; i < len(keys); i++ {
		if parent := keypath.Format(keys[:i]); names[parent] {
			return fmt.Errorf("%s: %s is a value, not a mapping: cannot set %s below it", rel, parent, keypath.Format(keys))
		}
	}
	return nil
}
