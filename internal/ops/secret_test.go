package ops

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/textutil"
)

// secretRepo is the options of a session on the demo repository (no
// commits), its admin key where sops looks.
func secretRepo(t *testing.T) Options {
	t.Helper()
	return Options{Repo: demoRepo(t).Dir, NoCommit: true, Command: "keycycle secret test"}
}

func get(t *testing.T, o Options, file, path string) string {
	t.Helper()
	v, err := SecretGet(SecretGetRequest{Repo: o.Repo, File: filepath.Join(o.Repo, file), Path: path})
	if err != nil {
		t.Fatalf("get %s %s: %v", file, path, err)
	}
	return v
}

func TestSecretSetGetMoveRemove(t *testing.T) {
	ctx := context.Background()
	o := secretRepo(t)
	shared := filepath.Join(o.Repo, "sops/shared.yaml")
	before, _ := os.ReadFile(shared)

	dry := o
	dry.DryRun = true
	res, err := SecretSet(ctx, dry, SecretSetRequest{File: shared, Path: "borg/pass", Value: secret.ValueSource{Stdin: strings.NewReader("hunter2\n")}})
	if err != nil || res.Nothing || len(res.Done) != 1 || res.Done[0].Action != "set" {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if after, _ := os.ReadFile(shared); !bytes.Equal(before, after) {
		t.Fatal("a dry run wrote the file")
	}

	if _, err := SecretSet(ctx, o, SecretSetRequest{File: shared, Path: "borg/pass", Value: secret.ValueSource{Stdin: strings.NewReader("hunter2\n")}}); err != nil {
		t.Fatal(err)
	}
	if v := get(t, o, "sops/shared.yaml", "borg/pass"); v != "hunter2" {
		t.Fatalf("set then get: %q", v)
	}

	// Across files: a new file under its rule, and the value leaves the old one.
	res, err = SecretMove(ctx, o, SecretMoveRequest{File: shared, Path: "borg/pass", NewPath: "borg/pass", To: filepath.Join(o.Repo, "sops/malphas.yaml")})
	if err != nil || len(res.Done) != 1 || res.Done[0].From != "sops/shared.yaml:borg/pass" {
		t.Fatalf("move: %+v, %v", res, err)
	}
	if v := get(t, o, "sops/malphas.yaml", "borg/pass"); v != "hunter2" {
		t.Fatalf("moved: %q", v)
	}
	if _, err := SecretGet(SecretGetRequest{Repo: o.Repo, File: shared, Path: "borg/pass"}); err == nil || !strings.Contains(textutil.HintOf(err), "secret list") {
		t.Fatalf("the moved value is still there: %v", err)
	}

	if _, err := SecretRemove(ctx, o, filepath.Join(o.Repo, "sops/malphas.yaml"), "borg/pass"); err != nil {
		t.Fatal(err)
	}
	list, err := SecretList(ctx, SecretListRequest{Repo: o.Repo, File: filepath.Join(o.Repo, "sops/malphas.yaml")})
	if err != nil || len(list) != 1 || slices.Contains(list[0].Secrets, "borg/pass") || !slices.Contains(list[0].Secrets, "borg/repo_key") {
		t.Fatalf("after rm: %+v, %v", list, err)
	}
	if _, err := SecretRemove(ctx, o, shared, "no/such"); err == nil || !strings.Contains(textutil.HintOf(err), "secret list FILE") {
		t.Fatalf("rm of a missing path: %v", err)
	}
}

func TestSecretGenerate(t *testing.T) {
	ctx := context.Background()
	o := secretRepo(t)
	var stderr bytes.Buffer
	o.Stderr = &stderr
	file := filepath.Join(o.Repo, "sops/malphas.yaml")
	res, err := SecretGenerate(ctx, o, SecretGenerateRequest{File: file, Path: "wg/priv", Gen: secret.GenOptions{Kind: "age-key"}})
	if err != nil || len(res.Done) != 1 || res.Done[0].Action != "generate" {
		t.Fatalf("generate: %+v, %v", res, err)
	}
	if !strings.HasPrefix(stderr.String(), "public key: age1") || !strings.Contains(get(t, o, "sops/malphas.yaml", "wg/priv"), "AGE-SECRET-KEY-1") {
		t.Errorf("stderr %q", stderr.String())
	}
	if _, err := SecretGenerate(ctx, o, SecretGenerateRequest{File: file, Path: "wg/priv", Gen: secret.GenOptions{Kind: "hex"}}); err == nil || !strings.Contains(err.Error(), "already holds wg/priv") {
		t.Errorf("no --force: %v", err)
	}
	// set --generate forces.
	if _, err := SecretSet(ctx, o, SecretSetRequest{File: file, Path: "wg/priv", Generate: true, Kind: "hex"}); err != nil {
		t.Fatal(err)
	}
	if v := get(t, o, "sops/malphas.yaml", "wg/priv"); len(v) != 64 {
		t.Errorf("hex: %q", v)
	}
	for _, q := range []SecretSetRequest{
		{File: file, Path: "x", Generate: true, Value: secret.ValueSource{Raw: true}},
		{File: file, Path: "x", Kind: "hex"},
	} {
		if _, err := SecretSet(ctx, o, q); err == nil || textutil.HintOf(err) == "" {
			t.Errorf("%+v: %v", q, err)
		}
	}
}

func TestSecretEnsureRegenerateRefuse(t *testing.T) {
	ctx := context.Background()
	o := secretRepo(t)
	if _, err := SecretEnsure(ctx, o, ""); err == nil || !strings.Contains(err.Error(), "no keycycle.yaml") || !strings.Contains(textutil.HintOf(err), "declare hosts") {
		t.Errorf("ensure without keycycle.yaml: %v", err)
	}
	for _, q := range []SecretRegenerateRequest{{}, {ExposedBy: "x", Entry: 1}} {
		if _, err := SecretRegenerate(ctx, o, q); err == nil || !strings.Contains(err.Error(), "exactly one of") {
			t.Errorf("%+v: %v", q, err)
		}
	}
	if _, err := SecretRegenerate(ctx, o, SecretRegenerateRequest{ExposedBy: "sorrow"}); err == nil || !strings.Contains(textutil.HintOf(err), "audit.log") {
		t.Errorf("no audit log: %v", err)
	}
}

func TestSecretResultLeft(t *testing.T) {
	for _, tc := range []struct {
		r    SecretResult
		left bool
	}{
		{SecretResult{}, false},
		{SecretResult{ByHand: []secret.Need{{}}}, true},
		{SecretResult{Regen: secret.Regen{Rotate: []secret.Registered{{}}}}, true},
		{SecretResult{Regen: secret.Regen{Do: []secret.Need{{}}}}, false},
	} {
		if tc.r.Left() != tc.left {
			t.Errorf("%+v: Left %v", tc.r, !tc.left)
		}
	}
}
