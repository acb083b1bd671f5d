package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/repo"
)

func keyByName(t *testing.T, inv *Inventory, name string) (int, *Key) {
	t.Helper()
	for i, k := range inv.Keys {
		if k.Name == name {
			return i, k
		}
	}
	t.Fatalf("no key named %q", name)
	return -1, nil
}

func keyByRecipient(t *testing.T, inv *Inventory, r string) (int, *Key) {
	t.Helper()
	for i, k := range inv.Keys {
		if k.Recipient == r {
			return i, k
		}
	}
	t.Fatalf("no key %s", r)
	return -1, nil
}

func fileByPath(t *testing.T, inv *Inventory, p string) *File {
	t.Helper()
	for _, f := range inv.Files {
		if f.Path == p {
			return f
		}
	}
	t.Fatalf("no file %s", p)
	return nil
}

func TestBuildKeys(t *testing.T) {
	inv := Build(fixBroken(seedRepo(t)))
	want := []struct {
		name, recipient, typ, keyType string
		kind                          Kind
		status                        KeyStatus
		files, wanted                 int
	}{
		{"griefling", rAtlas, "age", "x25519", KindHost, KeyActive, 2, 2},
		{"ghost", rMerope, "age", "x25519", KindHost, KeyActive, 2, 2},
		{"rain_griefling", rAlcyone, "age", "x25519", KindUser, KeyActive, 2, 4},
		{"offsite_backup", rCelaeno, "age", "x25519", KindBackup, KeyActive, 1, 1},
		{"oldbox", rTaygeta, "age", "x25519", KindUnknown, KeyOrphan, 1, 0},
		{"", rPGP, "pgp", "pgp", KindUnknown, KeyInline, 1, 1},
		{"", rPleione, "age", "x25519", KindUnknown, KeyUnlisted, 1, 0},
		{"", rMaia, "age", "x25519", KindUnknown, KeyUnlisted, 1, 0},
	}
	if len(inv.Keys) != len(want) {
		for _, k := range inv.Keys {
			t.Logf("%+v", *k)
		}
		t.Fatalf("%d keys, want %d", len(inv.Keys), len(want))
	}
	for i, w := range want {
		k := inv.Keys[i]
		got := []any{k.Name, k.Recipient, k.Type, k.KeyType, k.Kind, k.Status, k.Files, k.Wanted}
		exp := []any{w.name, w.recipient, w.typ, w.keyType, w.kind, w.status, w.files, w.wanted}
		for j := range got {
			if got[j] != exp[j] {
				t.Errorf("key %d: got %v, want %v", i+1, got, exp)
				break
			}
		}
	}
	if _, k := keyByName(t, inv, "griefling"); k.Line != 3 || strings.Join(k.Group, "/") != "hosts" {
		t.Errorf("griefling: line %d group %v", k.Line, k.Group)
	}
}

func TestBuildFiles(t *testing.T) {
	inv := Build(fixBroken(seedRepo(t)))
	status := map[string]FileStatus{
		"broken.yaml": FileUnreadable, "notes/todo.yaml": FilePlaintext, "sops/ghost.yaml": FileDrift,
		"sops/griefling.yaml": FileOK, "sops/shared.yaml": FileDrift, "stray.yaml": FileNoRule,
	}
	if len(inv.Files) != len(status) {
		t.Fatalf("%d files", len(inv.Files))
	}
	for _, f := range inv.Files {
		if f.Status != status[f.Path] {
			t.Errorf("%s: status %s, want %s", f.Path, f.Status, status[f.Path])
		}
	}
	if f := fileByPath(t, inv, "broken.yaml"); !strings.Contains(f.Error, "did not find expected key") || strings.Contains(f.Error, "\n") {
		t.Errorf("broken.yaml error %q", f.Error)
	}
	ghost := fileByPath(t, inv, "sops/ghost.yaml")
	rain, _ := keyByName(t, inv, "rain_griefling")
	pleione, _ := keyByRecipient(t, inv, rPleione)
	if c := ghost.Cell(rain); !c.Missing() || Mark(ghost, c) != MarkMissing {
		t.Errorf("rain on ghost.yaml: %+v", c)
	}
	if c := ghost.Cell(pleione); !c.Extra() || Mark(ghost, c) != MarkExtra {
		t.Errorf("unlisted key on ghost.yaml: %+v", c)
	}
	if ghost.Extra() != 1 || ghost.Missing() != 1 {
		t.Errorf("ghost.yaml extra %d missing %d", ghost.Extra(), ghost.Missing())
	}
	shared := fileByPath(t, inv, "sops/shared.yaml")
	pgp, _ := keyByRecipient(t, inv, rPGP)
	if c := shared.Cell(pgp); Mark(shared, c) != MarkOK {
		t.Errorf("pgp with spaces in the rule must match the metadata fingerprint: %+v", c)
	}
	stray := fileByPath(t, inv, "stray.yaml")
	maia, _ := keyByRecipient(t, inv, rMaia)
	if c := stray.Cell(maia); Mark(stray, c) != MarkNoRule {
		t.Errorf("stray.yaml: %+v", c)
	}
	if Mark(stray, stray.Cell(rain)) != MarkNone {
		t.Errorf("rain has no access to stray.yaml")
	}
}

func TestGuessKindFromNames(t *testing.T) {
	cfg := parseConfig(t, `keys:
  - &rain_griefling `+rAtlas+`
  - &griefling `+rMerope+`
  - &ghost `+rAlcyone+`
  - &ops_admin `+rCelaeno+`
  - &nas-backup `+rTaygeta+`
  - &misc `+rMaia+`
  - &username1 `+rPleione+`
creation_rules:
  - path_regex: hosts/griefling/secrets\.ya?ml$
    age: *griefling
  - path_regex: sops/[^/]+\.yaml$
    age: *ghost
`)
	r := seedRepo(t)
	r.Config = cfg
	r.Entries = r.Entries[2:3] // sops/ghost.yaml
	inv := Build(r)
	want := map[string]Kind{"rain_griefling": KindUser, "griefling": KindHost, "ghost": KindHost,
		"ops_admin": KindAdmin, "nas-backup": KindBackup, "misc": KindUnknown, "username1": KindUser}
	for name, kind := range want {
		if _, k := keyByName(t, inv, name); k.Kind != kind {
			t.Errorf("%s: kind %s, want %s", name, k.Kind, kind)
		}
	}
}

func TestGuessKindFromGroups(t *testing.T) {
	for group, kind := range map[string]Kind{"hosts:": KindHost, "Servers": KindHost, "machines": KindHost,
		"users": KindUser, "people": KindUser, "admins": KindAdmin, "backups": KindBackup, "misc": KindUnknown} {
		h := &hints{hostNames: map[string]bool{}}
		if got := h.guessKind("k", []string{group}, ""); got != kind {
			t.Errorf("group %q: %s, want %s", group, got, kind)
		}
	}
}

func TestMisterioStyleGroups(t *testing.T) {
	// Group anchors whose names keep their colon, a PGP key among ages.
	cfg := parseConfig(t, `keys:
  - &users:
    - &misterio `+rPGP+`
  - &hosts:
    - &atlas `+rAtlas+`
creation_rules:
  - path_regex: hosts/atlas/secrets.ya?ml$
    key_groups:
    - age:
      - *atlas
      pgp:
      - *misterio
`)
	inv := Build(&repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml", Config: cfg})
	if _, k := keyByName(t, inv, "misterio"); k.Kind != KindUser || k.Type != "pgp" || k.Status != KeyActive {
		t.Errorf("misterio: %+v", *k)
	}
	if _, k := keyByName(t, inv, "atlas"); k.Kind != KindHost || k.KeyType != "x25519" {
		t.Errorf("atlas: %+v", *k)
	}
	if len(inv.Keys) != 2 || len(inv.Files) != 0 {
		t.Errorf("%d keys %d files", len(inv.Keys), len(inv.Files))
	}
}

func TestDuplicateAnchorsAreOneKey(t *testing.T) {
	cfg := parseConfig(t, `keys:
  - &a `+rAtlas+`
  - &b `+rAtlas+`
  - &c `+rMerope+`
creation_rules:
  - age: *b
`)
	inv := Build(&repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml", Config: cfg})
	if len(inv.Keys) != 2 {
		t.Fatalf("%d keys, want 2", len(inv.Keys))
	}
	if k := inv.Keys[0]; k.Name != "a" || len(k.Aliases) != 1 || k.Aliases[0] != "b" || k.Status != KeyActive {
		t.Errorf("first key: %+v", *k)
	}
	if k := inv.Keys[1]; k.Status != KeyOrphan {
		t.Errorf("c is used by no rule: %+v", *k)
	}
}

func TestConfigError(t *testing.T) {
	r := seedRepo(t)
	r.Config, r.ConfigErr = nil, errors.New(".sops.yaml:3: yaml: bad\nthing")
	for _, e := range r.Entries {
		e.Rule, e.Wanted, e.WantedErr = -1, nil, nil
	}
	inv := Build(r)
	if inv.ConfigError == "" {
		t.Error("no ConfigError")
	}
	for _, k := range inv.Keys {
		if k.Status != KeyUnlisted {
			t.Errorf("key %s: %s, want unlisted", k.Recipient, k.Status)
		}
	}
	if f := fileByPath(t, inv, "sops/griefling.yaml"); f.Status != FileNoRule || f.RuleKnown {
		t.Errorf("griefling.yaml: %+v", *f)
	}
}

func TestSSHRecipients(t *testing.T) {
	const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbuZBji"
	const derived = "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452"
	cfg := parseConfig(t, `keys:
  hosts:
    - &turing `+pub+` joerg@turingmachine
    - &turing_age `+derived+`
creation_rules:
  - path_regex: x\.yaml$
    age: [*turing]
`)
	r := &repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml", Config: cfg, Entries: []*repo.Entry{
		encrypted("x.yaml", 0, ages(pub), ages(pub+" joerg@turingmachine")),
	}}
	inv := Build(r)
	if len(inv.Keys) != 2 {
		t.Fatalf("%d keys: the comment makes no other key, the derived age1 key is another", len(inv.Keys))
	}
	if k := inv.Keys[0]; k.KeyType != "ssh-ed25519" || k.Files != 1 || k.Wanted != 1 || k.Kind != KindHost {
		t.Errorf("ssh key: %+v", *k)
	}
	if k := inv.Keys[1]; k.KeyType != "x25519" || k.Files != 0 || k.Status != KeyOrphan {
		t.Errorf("derived key: %+v", *k)
	}
	if f := inv.Files[0]; f.Status != FileOK {
		t.Errorf("x.yaml: %+v", *f)
	}
}
