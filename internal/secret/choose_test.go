package secret

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

func TestKinds(t *testing.T) {
	k := Kinds()
	if slices.Contains(k, policy.GenCommand) || len(k) != len(policy.GeneratorKinds)-1 || k[0] != policy.GenPassword {
		t.Errorf("kinds %v", k)
	}
}

func TestGeneratorFor(t *testing.T) {
	r := testRepo(t, "sops/shared.yaml", "pw: x\n",
		"generators:\n  pw: {kind: password, length: 20}\n  k: age-key\n  c: {kind: command, command: [echo, x]}\n")
	desc := func(g *policy.Generator) string { return fmt.Sprintf("%s/%d/%d", g.Kind, g.Length, g.Bytes) }
	for _, tc := range []struct {
		path string
		o    GenOptions
		want string
	}{
		{"pw", GenOptions{}, "password/20/0"},
		{"pw", GenOptions{Kind: "password"}, "password/20/0"}, // the declared one, same kind
		{"pw", GenOptions{Length: 8}, "password/8/0"},
		{"pw", GenOptions{Kind: "hex", Bytes: 4}, fmt.Sprintf("hex/%d/4", policy.DefaultPasswordLength)},
		{"other", GenOptions{Kind: "base64"}, fmt.Sprintf("base64/%d/%d", policy.DefaultPasswordLength, policy.DefaultBytes)},
		{"k", GenOptions{AddKey: "rain"}, "age-key/0/0"},
		{"c", GenOptions{}, "command/0/0"},
	} {
		g, err := r.GeneratorFor(tc.path, tc.o)
		if err != nil || desc(g) != tc.want {
			t.Errorf("%s %+v: %v, want %s", tc.path, tc.o, err, tc.want)
		}
	}
	if g, _ := r.GeneratorFor("pw", GenOptions{Length: 8}); r.Policy.Generator("pw").Length != 20 || g.Length != 8 {
		t.Error("an override changed keycycle.yaml's generator")
	}
	for _, tc := range []struct {
		path      string
		o         GenOptions
		msg, hint string
	}{
		{"pw", GenOptions{Kind: "command"}, "--kind command needs its command", "generators:"},
		{"pw", GenOptions{Kind: "rot13"}, `unknown --kind "rot13"`, "password, hex"},
		{"other", GenOptions{}, "declares no generator for other", "pass --kind KIND"},
		{"pw", GenOptions{AddKey: "rain"}, "--add-key is for age-key values, not password", "--kind age-key"},
	} {
		_, err := r.GeneratorFor(tc.path, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(textutil.HintOf(err), tc.hint) {
			t.Errorf("%s %+v: %v (hint %q)", tc.path, tc.o, err, textutil.HintOf(err))
		}
	}
	if _, err := (&Repo{}).GeneratorFor("pw", GenOptions{}); err == nil {
		t.Error("no keycycle.yaml, no --kind: no generator")
	}
}

func TestRefuseExisting(t *testing.T) {
	r := testRepo(t, "sops/shared.yaml", "pw: x\n", "")
	for _, tc := range []struct {
		rel, path string
		force     bool
		want      string
	}{
		{"sops/shared.yaml", "pw", false, "sops/shared.yaml already holds pw"},
		{"sops/shared.yaml", "pw", true, ""},
		{"sops/shared.yaml", "other", false, ""},
		{"sops/new.yaml", "pw", false, ""}, // created under its rule
	} {
		err := r.RefuseExisting(tc.rel, tc.path, tc.force)
		if (tc.want == "") != (err == nil) || err != nil && (!strings.Contains(err.Error(), tc.want) || !strings.Contains(textutil.HintOf(err), "--force")) {
			t.Errorf("%s %s force=%v: %v", tc.rel, tc.path, tc.force, err)
		}
	}
}

func TestFileAndPath(t *testing.T) {
	r := &Repo{Root: t.TempDir()}
	if rel, err := r.FileAndPath(r.Abs("sops/x.yaml"), "a/b"); err != nil || rel != "sops/x.yaml" {
		t.Errorf("%q, %v", rel, err)
	}
	if _, err := r.FileAndPath("/elsewhere/x.yaml", "a"); err == nil || !strings.Contains(textutil.HintOf(err), "inside the repository") {
		t.Errorf("outside: %v", err)
	}
	if _, err := r.FileAndPath(r.Abs("x.yaml"), "a//b"); err == nil || !strings.Contains(textutil.HintOf(err), "keys joined with '/'") {
		t.Errorf("bad path: %v", err)
	}
}

func TestError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		hint string
	}{
		{fmt.Errorf("x.yaml: %w: a", sopsfile.ErrNotFound), "'keycycle secret list FILE'"},
		{&sopsfile.NoIdentityError{}, "SOPS_AGE_KEY_FILE"},
		{textutil.Hintf("its own", "x"), "its own"},
		{fmt.Errorf("other"), "nothing was written"},
	} {
		if got := textutil.HintOf(Error(tc.err)); !strings.Contains(got, tc.hint) {
			t.Errorf("%v: hint %q, want %q", tc.err, got, tc.hint)
		}
	}
	if Error(fmt.Errorf("x")).Error() != "x" {
		t.Error("the message changed")
	}
}

func TestRegenerateHint(t *testing.T) {
	now, dry := RegenerateHint("sorrow", false), RegenerateHint("sorrow", true)
	if !strings.HasPrefix(now, "next: 'keycycle secret regenerate --exposed-by sorrow'") || !strings.Contains(now, "lists the rest") ||
		!strings.HasPrefix(dry, "after it: 'keycycle secret regenerate --exposed-by sorrow'") || strings.Contains(dry, "lists the rest") {
		t.Errorf("%q / %q", now, dry)
	}
}
