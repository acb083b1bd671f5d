package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/textutil"
)

// SecretGenerateRequest is 'secret generate FILE PATH' (and 'secret set
// --generate', which forces).
type SecretGenerateRequest struct {
	File, Path string
	// Gen chooses the generator (secret.Repo.GeneratorFor).
	Gen secret.GenOptions
	// KeyGroup is the group under keys: that Gen.AddKey goes into.
	KeyGroup string
	// Force replaces an existing value.
	Force bool
}

// SecretGenerate makes PATH's value with its generator and sets it in
// FILE (created under its rule when missing); a key pair's public half
// goes where the generator says and is noted on Options.Stderr. With
// Gen.AddKey the new age identity's recipient is registered in
// .sops.yaml in the same change.
func SecretGenerate(ctx context.Context, o Options, q SecretGenerateRequest) (*SecretResult, error) {
	return secretChange(ctx, o, "generate", func(st *secretStep) error {
		r := st.r
		rel, err := r.FileAndPath(q.File, q.Path)
		if err != nil {
			return err
		}
		g, err := r.GeneratorFor(q.Path, q.Gen)
		if err != nil {
			return err
		}
		if err := r.RefuseExisting(rel, q.Path, q.Force); err != nil {
			return err
		}
		if err := r.RefuseRegistered(rel, q.Path, g); err != nil {
			return err
		}
		pub, err := st.b.Generate(ctx, rel, q.Path, g, "generate")
		if err != nil {
			return err
		}
		if pub != "" {
			fmt.Fprintf(st.r.Stderr, "public key: %s\n", strings.TrimSpace(pub))
		}
		if q.Gen.AddKey != "" {
			return registerKey(st.ed, st.req, q.Gen.AddKey, q.KeyGroup, pub)
		}
		return nil
	})
}

// registerKey adds a new age recipient to .sops.yaml as &name in group
// (and to keys.yaml).
func registerKey(ed *configedit.Editor, req *change.Request, name, group, recipient string) error {
	if err := ed.Config().CheckFree(name, recipient); err != nil {
		return err
	}
	if err := ed.AddKey(group, name, recipient); err != nil {
		return textutil.WithHint(err, "add the key by hand, or pick another --key-group")
	}
	return RecordKeys(req, []policy.Key{{Name: name, Recipient: recipient, Kind: policy.KindUser,
		Origin: policy.OriginGenerated}}, nil)
}

// SecretEnsure generates, in one change, every secret keycycle.yaml's
// schema declares (for every host, or the one named) that is missing and
// has a generator; the missing ones without are the result's ByHand.
func SecretEnsure(ctx context.Context, o Options, host string) (*SecretResult, error) {
	return secretChange(ctx, o, "ensure", func(st *secretStep) error {
		needs, err := secret.Missing(st.r, host)
		if err != nil {
			return textutil.Hintf("declare hosts, roles and categories in keycycle.yaml (docs/secrets.md)", "%v", err)
		}
		for _, n := range needs {
			if n.Generator == nil {
				st.res.ByHand = append(st.res.ByHand, n)
				st.req.Audit.ByHand = append(st.req.Audit.ByHand, audit.SecretRef{File: n.File, Path: n.Path})
				continue
			}
			if _, err := st.b.Generate(ctx, n.File, n.Path, n.Generator, "generate"); err != nil {
				return err
			}
		}
		return nil
	})
}

// SecretRegenerateRequest names a revocation: the newest entry of the
// audit log that removed ExposedBy (an anchor name or a recipient), or
// entry #Entry; exactly one of them.
type SecretRegenerateRequest struct {
	ExposedBy string
	Entry     int
}

// SecretRegenerate makes anew, in one change, every secret the revoked
// key could read that still exists, was not changed since and has a
// generator; the result's Regen lists the rest.
func SecretRegenerate(ctx context.Context, o Options, q SecretRegenerateRequest) (*SecretResult, error) {
	if (q.ExposedBy == "") == (q.Entry == 0) {
		return nil, textutil.Hintf("pass --exposed-by KEY (the anchor host/user remove took away) or --audit SEQ ('keycycle audit log' numbers the entries)",
			"regenerate needs exactly one of --exposed-by and --audit")
	}
	return secretChange(ctx, o, "regenerate", func(st *secretStep) error {
		rv, err := secret.ReadRevocation(st.r.Root, q.ExposedBy, q.Entry)
		if err != nil {
			return err
		}
		plan, err := secret.PlanRegenerate(st.r, rv.Exposed)
		if err != nil {
			return err
		}
		st.res.Revocation, st.res.Regen = rv, plan
		for _, n := range plan.Do {
			if _, err := st.b.Generate(ctx, n.File, n.Path, n.Generator, "regenerate"); err != nil {
				return err
			}
		}
		st.req.Audit.ByHand = plan.ByHand
		for _, k := range plan.Rotate {
			st.req.Audit.ByHand = append(st.req.Audit.ByHand, audit.SecretRef{File: k.File, Path: k.Path})
		}
		st.req.Audit.Note = fmt.Sprintf("secrets exposed by audit entry #%d (%s)", rv.Entry.Seq, rv.Entry.Command)
		return nil
	})
}
