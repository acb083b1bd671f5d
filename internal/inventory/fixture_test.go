package inventory

import (
	"errors"
	"testing"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Real recipients (from Misterio77's public .sops.yaml).
const (
	rAtlas   = "age1hm5lf4qk84r4wh00atn6hpts7mpdx80adq26wht2e5qh9ewvhyaszfv82d"
	rMerope  = "age1709qfrwglm75v5x8lpuhryt83k6p6c90npplzzec6a5w8ct93ejscpqpc3"
	rAlcyone = "age1uxvuygmvwpfjrd9d3ulg6ln8dgvaw4l2c90mw0tr72qg3n8vd9ns3dm000"
	rCelaeno = "age1gxhy9eq38xfplay0kvkeyvsg96g0c4p6rkhajkrj8nc9dswdzqhssgvns0"
	rTaygeta = "age1szxq4pz3wuxrs5ynqt3gys4wxslg27lr67smsqvg5guhap800szs3y73vd"
	rMaia    = "age150kp4hx4qzfpcxayyfh8xcv8nf0uudppsknwgzgj724djqup2qvqz2gwj5"
	rPleione = "age1mhlh8lj8jv58xy9mdhsarfyanckyx8c2xdu09xrn23nrc56e94xserztxx"
	rPGP     = "7088C7421873E0DB97FF17C2245CAB70B4C225E9"
)

// seedConfig is the nix-secrets layout of the seed document.
const seedConfig = `keys:
  hosts:
    - &griefling ` + rAtlas + `
    - &ghost ` + rMerope + `
  users:
    - &rain_griefling ` + rAlcyone + `
  offsite:
    - &offsite_backup ` + rCelaeno + `
    - &oldbox ` + rTaygeta + `
creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age: [*rain_griefling, *griefling, *ghost, *offsite_backup]
        pgp: ["7088 C742 1873 E0DB 97FF  17C2 245C AB70 B4C2 25E9"]
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age: [*rain_griefling, *griefling]
  - path_regex: sops/ghost\.yaml$
    key_groups:
      - age: [*rain_griefling, *ghost]
  - path_regex: notes/.*\.yaml$
    key_groups:
      - age: [*rain_griefling]
`

func ages(ids ...string) [][]repo.MasterKey {
	var g []repo.MasterKey
	for _, id := range ids {
		g = append(g, repo.MasterKey{Type: "age", ID: id})
	}
	return [][]repo.MasterKey{g}
}

func withPGP(groups [][]repo.MasterKey, fp string) [][]repo.MasterKey {
	groups[0] = append(groups[0], repo.MasterKey{Type: "pgp", ID: fp})
	return groups
}

func encrypted(rel string, rule int, has, wanted [][]repo.MasterKey) *repo.Entry {
	e := &repo.Entry{Rel: rel, Abs: "/repo/" + rel, Rule: rule,
		File: &repo.File{Path: "/repo/" + rel, Format: repo.FormatYAML, Meta: repo.Metadata{Groups: has, HasMAC: true}}}
	if wanted != nil {
		e.Wanted = &repo.Wanted{Groups: wanted}
	} else {
		e.WantedErr = repo.ErrNoRule
	}
	return e
}

func parseConfig(t *testing.T, text string) *sopsconfig.Config {
	t.Helper()
	cfg, err := sopsconfig.Parse("/repo/.sops.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	return cfg
}

// seedRepo is a repository with every file status and key status.
func seedRepo(t *testing.T) *repo.Repo {
	cfg := parseConfig(t, seedConfig)
	shared := withPGP(ages(rAlcyone, rAtlas, rMerope, rCelaeno), rPGP)
	return &repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml", Config: cfg, Entries: []*repo.Entry{
		encrypted("broken.yaml", -1, nil, nil),
		{Rel: "notes/todo.yaml", Abs: "/repo/notes/todo.yaml", Rule: 3, ReadErr: repo.ErrNoMetadata,
			Wanted: &repo.Wanted{Groups: ages(rAlcyone)}},
		encrypted("sops/ghost.yaml", 2, ages(rMerope, rPleione), ages(rAlcyone, rMerope)),
		encrypted("sops/griefling.yaml", 1, ages(rAlcyone, rAtlas), ages(rAlcyone, rAtlas)),
		encrypted("sops/shared.yaml", 0, withPGP(ages(rAlcyone, rAtlas, rMerope, rCelaeno, rTaygeta), rPGP), shared),
		encrypted("stray.yaml", -1, ages(rMaia), nil),
	}}
}

// fixBroken turns the first entry into an unreadable file.
func fixBroken(r *repo.Repo) *repo.Repo {
	r.Entries[0].File = nil
	r.Entries[0].WantedErr = nil
	r.Entries[0].ReadErr = errors.New("yaml: line 3:\n  did not find expected key")
	return r
}
