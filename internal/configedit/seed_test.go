package configedit

import (
	"slices"
	"testing"
)

// seed is the layout keycycle's users have (EmergentMind's nix-secrets:
// keys.hosts / keys.users lists, a shared.yaml rule and one rule per
// host), with a catch-all for the rest of sops/.
const seed = `# nix-secrets: who can decrypt what
keys:
  hosts:
    - &griefling age1hm5lf4qk84r4wh00atn6hpts7mpdx80adq26wht2e5qh9ewvhyaszfv82d
    - &malphas age1709qfrwglm75v5x8lpuhryt83k6p6c90npplzzec6a5w8ct93ejscpqpc3
  users:
    - &rain age1uxvuygmvwpfjrd9d3ulg6ln8dgvaw4l2c90mw0tr72qg3n8vd9ns3dm000 # admin
    - &rain_griefling age1gxhy9eq38xfplay0kvkeyvsg96g0c4p6rkhajkrj8nc9dswdzqhssgvns0

creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
          - *malphas
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
  - path_regex: sops/malphas\.yaml$
    key_groups:
      - age:
          - *rain
          - *malphas
  # anything else under sops/ is for the admin only
  - path_regex: sops/[^/]+\.yaml$
    key_groups:
      - age:
          - *rain
`

const seedWithSorrow = `# nix-secrets: who can decrypt what
keys:
  hosts:
    - &griefling age1hm5lf4qk84r4wh00atn6hpts7mpdx80adq26wht2e5qh9ewvhyaszfv82d
    - &malphas age1709qfrwglm75v5x8lpuhryt83k6p6c90npplzzec6a5w8ct93ejscpqpc3
    - &sorrow age1szxq4pz3wuxrs5ynqt3gys4wxslg27lr67smsqvg5guhap800szs3y73vd
  users:
    - &rain age1uxvuygmvwpfjrd9d3ulg6ln8dgvaw4l2c90mw0tr72qg3n8vd9ns3dm000 # admin
    - &rain_griefling age1gxhy9eq38xfplay0kvkeyvsg96g0c4p6rkhajkrj8nc9dswdzqhssgvns0

creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
          - *malphas
          - *sorrow
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
  - path_regex: sops/malphas\.yaml$
    key_groups:
      - age:
          - *rain
          - *malphas
  - path_regex: sops/sorrow\.yaml$
    key_groups:
      - age:
          - *rain
          - *sorrow
  # anything else under sops/ is for the admin only
  - path_regex: sops/[^/]+\.yaml$
    key_groups:
      - age:
          - *rain
`

const seedWithoutMalphas = `# nix-secrets: who can decrypt what
keys:
  hosts:
    - &griefling age1hm5lf4qk84r4wh00atn6hpts7mpdx80adq26wht2e5qh9ewvhyaszfv82d
  users:
    - &rain age1uxvuygmvwpfjrd9d3ulg6ln8dgvaw4l2c90mw0tr72qg3n8vd9ns3dm000 # admin
    - &rain_griefling age1gxhy9eq38xfplay0kvkeyvsg96g0c4p6rkhajkrj8nc9dswdzqhssgvns0

creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age:
          - *rain
          - *rain_griefling
          - *griefling
  # anything else under sops/ is for the admin only
  - path_regex: sops/[^/]+\.yaml$
    key_groups:
      - age:
          - *rain
`

func TestSeedAddHost(t *testing.T) {
	e := mustNew(t, ".sops.yaml", []byte(seed))
	if err := e.AddKey("hosts", "sorrow", "age1szxq4pz3wuxrs5ynqt3gys4wxslg27lr67smsqvg5guhap800szs3y73vd"); err != nil {
		t.Fatal(err)
	}
	if err := e.AddRule(`sops/sorrow\.yaml$`, []string{"rain", "sorrow"}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddAlias(0, "sorrow"); err != nil {
		t.Fatal(err)
	}
	if got := string(e.Bytes()); got != seedWithSorrow {
		t.Fatalf("got:\n%s\ndiff:\n%s", got, e.Diff())
	}
	c := e.Config()
	if i, _ := c.Match("sops/sorrow.yaml"); i != 3 || !slices.Equal(aliasesOf(c, 3, 0), []string{"rain", "sorrow"}) {
		t.Errorf("sops/sorrow.yaml goes to rule %d: %v", i, aliasesOf(c, i, 0))
	}
	if i, _ := c.Match("sops/other.yaml"); i != 4 {
		t.Errorf("the catch-all moved: rule %d", i)
	}
	if a, _ := c.AnchorByName("sorrow"); len(a.Group) != 1 || a.Group[0] != "hosts" {
		t.Errorf("sorrow is in group %v", a.Group)
	}
	// Adding the same host again changes nothing.
	for _, err := range []error{
		e.AddKey("hosts", "sorrow", "age1other"),
		e.AddKey("hosts", "sorrow2", "age1szxq4pz3wuxrs5ynqt3gys4wxslg27lr67smsqvg5guhap800szs3y73vd"),
		e.AddRule(`sops/sorrow\.yaml$`, []string{"sorrow"}),
		e.AddAlias(0, "sorrow"),
	} {
		wantKind(t, err, ErrAlreadyPresent)
	}
	if string(e.Bytes()) != seedWithSorrow {
		t.Error("a refused edit changed the text")
	}
}

func TestSeedRemoveHost(t *testing.T) {
	e := mustNew(t, ".sops.yaml", []byte(seed))
	if err := e.RemoveRule(2); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveKey("malphas"); err != nil {
		t.Fatal(err)
	}
	if got := string(e.Bytes()); got != seedWithoutMalphas {
		t.Fatalf("got:\n%s\ndiff:\n%s", got, e.Diff())
	}
	// Round trip: removing the host added above gives the seed back.
	e = mustNew(t, ".sops.yaml", []byte(seedWithSorrow))
	if err := e.RemoveRule(3); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveKey("sorrow"); err != nil {
		t.Fatal(err)
	}
	if got := string(e.Bytes()); got != seed {
		t.Fatalf("got:\n%s\ndiff:\n%s", got, e.Diff())
	}
}

func TestSeedUserAndNewGroup(t *testing.T) {
	e := mustNew(t, ".sops.yaml", []byte(seed))
	if err := e.AddKey("users", "rain_sorrow", "age1mhlh8lj8jv58xy9mdhsarfyanckyx8c2xdu09xrn23nrc56e94xserztxx"); err != nil {
		t.Fatal(err)
	}
	if err := e.AddKey("backup", "vault", "age150kp4hx4qzfpcxayyfh8xcv8nf0uudppsknwgzgj724djqup2qvqz2gwj5"); err != nil {
		t.Fatal(err)
	}
	want := `--- a/.sops.yaml
+++ b/.sops.yaml
@@ -6,6 +6,9 @@
   users:
     - &rain age1uxvuygmvwpfjrd9d3ulg6ln8dgvaw4l2c90mw0tr72qg3n8vd9ns3dm000 # admin
     - &rain_griefling age1gxhy9eq38xfplay0kvkeyvsg96g0c4p6rkhajkrj8nc9dswdzqhssgvns0
+    - &rain_sorrow age1mhlh8lj8jv58xy9mdhsarfyanckyx8c2xdu09xrn23nrc56e94xserztxx
+  backup:
+    - &vault age150kp4hx4qzfpcxayyfh8xcv8nf0uudppsknwgzgj724djqup2qvqz2gwj5
 
 creation_rules:
   - path_regex: sops/shared\.yaml$
`
	if got := e.Diff(); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if a, _ := e.Config().AnchorByName("vault"); len(a.Group) != 1 || a.Group[0] != "backup" {
		t.Errorf("vault is in group %v", a.Group)
	}
}
