package configedit

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCorpusRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "sops-yaml", "*.sops.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	parsed := 0
	for _, f := range files {
		name := filepath.Base(f)
		data := corpusFile(t, name)
		e, err := New(name, data)
		if err != nil {
			continue // the two EmergentMind files do not parse, as in sops
		}
		parsed++
		if !bytes.Equal(e.Bytes(), data) || e.Diff() != "" || e.Changed() {
			t.Errorf("%s: New then Bytes is not byte-identical", name)
		}
	}
	if parsed < 20 {
		t.Errorf("only %d corpus files parsed", parsed)
	}
}

// diffCase is an edit of a corpus file whose exact diff is kept in
// testdata/golden/NAME.diff (KEYCYCLE_UPDATE_GOLDEN=1 rewrites them).
type diffCase struct {
	name, file string
	edit       func(e *Editor) error
}

// diffCases are the golden diffs: one per kind of edit and layout.
func diffCases() []diffCase {
	return []diffCase{
		{"misterio-addkey-hosts", "Misterio77_nix-config.sops.yaml", func(e *Editor) error { return e.AddKey("hosts", "electra", "age1electra") }},
		{"misterio-addkey-new-group", "Misterio77_nix-config.sops.yaml", func(e *Editor) error { return e.AddKey("admins", "root", "age1root") }},
		{"misterio-addrule", "Misterio77_nix-config.sops.yaml", func(e *Editor) error { return e.AddRule(`hosts/electra/secrets.ya?ml$`, []string{"atlas"}) }},
		{"bert-addalias-last-line", "Bert-Proesmans_nix.sops.yaml", func(e *Editor) error { return e.AddAlias(6, "buddy_decryptor") }},
		{"bert-addrule-before-fallback", "Bert-Proesmans_nix.sops.yaml", func(e *Editor) error {
			return e.AddRule(`nixosConfigurations/newbox/[^/]+\.encrypted\.(yaml|json)$`, []string{"development_key"})
		}},
		{"bert-removerule-last", "Bert-Proesmans_nix.sops.yaml", func(e *Editor) error { return e.RemoveRule(6) }},
		{"vipulog-add-host", "vipulog_nix-secrets.sops.yaml", func(e *Editor) error {
			if err := e.AddKey("hosts", "floe", "age1floe"); err != nil {
				return err
			}
			if err := e.AddRule(`^secrets/sops/floe\.yaml$`, []string{"floe"}); err != nil {
				return err
			}
			return e.AddAlias(0, "floe")
		}},
		{"vipulog-remove-host", "vipulog_nix-secrets.sops.yaml", func(e *Editor) error {
			if err := e.RemoveRule(2); err != nil {
				return err
			}
			return e.RemoveKey("igloo")
		}},
		{"roger-addkey-users-section", "RogerNavelsaker_nix-secrets.sops.yaml", func(e *Editor) error { return e.AddKey("users", "ada", "age1ada") }},
		{"roger-addrule-end-no-newline", "RogerNavelsaker_nix-secrets.sops.yaml", func(e *Editor) error {
			return e.AddRule(`^hosts/newbox/secrets\.(yaml|yml|json|env|ini)$`, []string{"host_roger-aio"})
		}},
		{"roger-removekey-trailing-space", "RogerNavelsaker_nix-secrets.sops.yaml", func(e *Editor) error { return e.RemoveKey("host_iso") }},
		{"tiiuae-addkey-users-section", "tiiuae_ghaf-infra.sops.yaml", func(e *Editor) error { return e.AddKey("users", "newdev", "age1newdev") }},
		{"sgrimee-addrule-before-legacy", "sgrimee_nix-unified.sops.yaml", func(e *Editor) error {
			return e.AddRule(`secrets/newbox\.yaml$`, []string{"admin_sgrimee"})
		}},
		{"amatos-removerule-with-comments", "amatos_nix-secrets.sops.yaml", func(e *Editor) error { return e.RemoveRule(1) }},
		{"amatos-addrule-before-catchall", "amatos_nix-secrets.sops.yaml", func(e *Editor) error {
			return e.AddRule(`^keytab-newbox\.age$`, []string{"alberth"})
		}},
		{"nixcommunity-removekey", "nix-community_infra.sops.yaml", func(e *Editor) error { return e.RemoveKey("zowoq") }},
		{"mic92-addalias", "Mic92_dotfiles.sops.yaml", func(e *Editor) error { return e.AddAlias(1, "mic92-turingmachine") }},
		{"mic92-2023-removekey-empties-list", "Mic92_dotfiles.nixos-2023.sops.yaml", func(e *Editor) error { return e.RemoveKey("bernie") }},
		{"fluxcd-addkey-creates-keys", "fluxcd_kustomize-controller.sops.yaml", func(e *Editor) error { return e.AddKey("hosts", "web", "age1web") }},
	}
}

func TestCorpusGoldenDiffs(t *testing.T) {
	update := os.Getenv("KEYCYCLE_UPDATE_GOLDEN") == "1"
	for _, tt := range diffCases() {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, tt.file, corpusFile(t, tt.file))
			before := bytes.Clone(e.Bytes())
			if err := tt.edit(e); err != nil {
				t.Fatal(err)
			}
			got := e.Diff()
			golden := filepath.Join("testdata", "golden", tt.name+".diff")
			if update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with KEYCYCLE_UPDATE_GOLDEN=1 to create)", err)
			}
			if got != string(want) {
				t.Errorf("diff differs from %s:\n%s", golden, got)
			}
			if added, removed := counts(before, e.Bytes()); added > 0 && removed > 0 && min(added, removed) > 1 {
				t.Errorf("%d lines added and %d removed", added, removed)
			}
		})
	}
}

// lifecycle is a host's life in one corpus file: added next to the
// existing ones, then an existing host removed.
type lifecycle struct {
	file      string
	admin     string // an age key the new host's rule also gets
	shared    string // path_regex of the rule every host reads
	newRegex  string
	wantSlot  int    // where the new rule must land (-1: at the end)
	gone      string // the host removed
	goneRegex string // its own rule
}

func TestCorpusHostLifecycle(t *testing.T) {
	tests := []lifecycle{
		{"Misterio77_nix-config.sops.yaml", "atlas", `hosts/common/.*secrets.ya?ml$`, `hosts/electra/secrets.ya?ml$`, -1, "celaeno", `hosts/celaeno/secrets.ya?ml$`},
		{"vipulog_nix-secrets.sops.yaml", "tux", `^secrets/sops/shared\.yaml$`, `^secrets/sops/floe\.yaml$`, -1, "igloo", `^secrets/sops/igloo\.yaml$`},
		{"nix-community_infra.sops.yaml", "mic92", `^secrets.yaml$`, `hosts/build05/[^/]+\.yaml$`, -1, "build02", `hosts/build02/[^/]+\.yaml$`},
		{"sgrimee_nix-unified.sops.yaml", "admin_sgrimee", `secrets/shared/[^/]+\.(yaml|json|env|ini)$`, `secrets/newbox/[^/]+\.(yaml|json|env|ini)$`, -1, "server_dracula", `secrets/dracula/[^/]+\.(yaml|json|env|ini)$`},
		{"sgrimee_nix-unified.sops.yaml", "admin_sgrimee", `secrets/shared/[^/]+\.(yaml|json|env|ini)$`, `secrets/newbox\.yaml$`, 6, "server_legion", `secrets/legion/[^/]+\.(yaml|json|env|ini)$`},
		{"tiiuae_ghaf-infra.sops.yaml", "hrosten", `hosts/testagent/prod/secrets.yaml$`, `hosts/newbox/secrets.yaml$`, -1, "testagent-dev", `hosts/testagent/dev/secrets.yaml$`},
		{"Bert-Proesmans_nix.sops.yaml", "development_key", "", `nixosConfigurations/newbox/[^/]+\.encrypted\.(yaml|json)$`, 6, "freddy_decryptor", `nixosConfigurations/freddy/[^/]+\.encrypted\.(yaml|json)$`},
		{"RogerNavelsaker_nix-secrets.sops.yaml", "host_roger-aio", `^hosts/common/secrets\.(yaml|yml|json|env|ini)$`, `^hosts/newbox/secrets\.(yaml|yml|json|env|ini)$`, -1, "host_nanoserver", `^hosts/nanoserver/secrets\.(yaml|yml|json|env|ini)$`},
		{"Mic92_dotfiles.sops.yaml", "mic92-darwin", `terraform/secrets\.enc\.json`, `darwin/newbox/secrets.yml`, -1, "evo", `darwin/evo/test-secrets.yml`},
		{"amatos_nix-secrets.sops.yaml", "alberth", `^fleet-secrets\.yaml$`, `^keytab-newbox\.age$`, 13, "gammu_ssh", `^keytab-gammu\.age$`},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.gone, func(t *testing.T) {
			data := corpusFile(t, tt.file)
			addHost(t, mustNew(t, tt.file, data), tt)
			removeHost(t, mustNew(t, tt.file, data), tt)
		})
	}
}

// step runs one edit and checks that it only adds lines (add) or only
// removes them (!add), but for one changed line at most.
func step(t *testing.T, e *Editor, what string, add bool, edit func() error) {
	t.Helper()
	before := bytes.Clone(e.Bytes())
	if err := edit(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	added, removed := counts(before, e.Bytes())
	if add && (added == 0 || removed > 1 || removed == 1 && added < 2) || !add && (removed == 0 || added > 1) {
		t.Errorf("%s: %d lines added, %d removed:\n%s", what, added, removed, unifiedDiff("a", "b", before, e.Bytes(), 1))
	}
}

func addHost(t *testing.T, e *Editor, tt lifecycle) {
	step(t, e, "AddKey", true, func() error { return e.AddKey("hosts", "newbox", "age1newbox") })
	a, ok := e.Config().AnchorByName("newbox")
	if !ok || a.Value != "age1newbox" {
		t.Fatalf("anchor: %+v", a)
	}
	nRules := len(e.Config().Rules)
	step(t, e, "AddRule", true, func() error { return e.AddRule(tt.newRegex, []string{"newbox", tt.admin}) })
	c := e.Config()
	j := ruleIndex(t, c, tt.newRegex)
	if want := tt.wantSlot; want < 0 && j != nRules || want >= 0 && j != want {
		t.Errorf("new rule at %d, want %d (of %d)", j, tt.wantSlot, nRules)
	}
	if got := aliasesOf(c, j, 0); !slices.Equal(got, []string{"newbox", tt.admin}) {
		t.Errorf("new rule keys %v", got)
	}
	for _, ex := range examplePaths(tt.newRegex) {
		if i, err := c.Match(ex); i != j {
			t.Errorf("%s matches rule %d (%v), want the new rule %d", ex, i, err, j)
		}
	}
	shared := len(c.Rules) - 1
	if tt.shared != "" {
		shared = ruleIndex(t, c, tt.shared)
	}
	old := aliasesOf(c, shared, 0)
	step(t, e, "AddAlias", true, func() error { return e.AddAlias(shared, "newbox") })
	got := aliasesOf(e.Config(), shared, 0)
	if i := slices.Index(got, "newbox"); i < 0 || !slices.Equal(slices.Delete(got, i, i+1), old) {
		t.Errorf("shared rule keys %v, want %v + newbox", got, old)
	}
	if err := e.AddAlias(shared, "newbox"); !strings.Contains(errString(err), "already has") {
		t.Errorf("second AddAlias: %v", err)
	}
}

func removeHost(t *testing.T, e *Editor, tt lifecycle) {
	nRules := len(e.Config().Rules)
	i := ruleIndex(t, e.Config(), tt.goneRegex)
	if len(e.Config().Rules[i].KeyGroups[0].Keys) == 1 {
		before := bytes.Clone(e.Bytes())
		err := e.RemoveKey(tt.gone)
		if !slices.Contains(wantKind(t, err, ErrWouldEmpty).Rules, i) || !bytes.Equal(before, e.Bytes()) {
			t.Errorf("ErrWouldEmpty does not name rule %d: %v", i, err)
		}
	}
	step(t, e, "RemoveRule", false, func() error { return e.RemoveRule(i) })
	if len(e.Config().Rules) != nRules-1 {
		t.Errorf("%d rules left of %d", len(e.Config().Rules), nRules)
	}
	step(t, e, "RemoveKey", false, func() error { return e.RemoveKey(tt.gone) })
	if usesAnywhere(e.Config(), tt.gone) {
		t.Errorf("%s is still used", tt.gone)
	}
	if bytes.Contains(e.Bytes(), []byte("&"+tt.gone+" ")) || bytes.Contains(e.Bytes(), []byte("*"+tt.gone+"\n")) {
		t.Errorf("%s is still in the text", tt.gone)
	}
}

// errString is err's message, "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
