package policy

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSeedConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig("keycycle.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Categories); got != 5 {
		t.Errorf("categories: %d", got)
	}
	sorrow := cfg.Host("sorrow")
	if got, want := cfg.HostCategories(sorrow), []string{"base", "desktop", "network", "cli"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sorrow (laptop includes desktop): %v, want %v", got, want)
	}
	grief := cfg.Host("griefling")
	if got, want := cfg.HostCategories(grief), []string{"base", "cli"}; !reflect.DeepEqual(got, want) {
		t.Errorf("griefling: %v, want %v", got, want)
	}
	var files []string
	for _, r := range cfg.Requirements(grief) {
		if r.Path == "keys/age" {
			files = append(files, r.File)
		}
	}
	if !reflect.DeepEqual(files, []string{"sops/griefling.yaml"}) {
		t.Errorf("keys/age of griefling in %v", files)
	}
	if d, from := cfg.Policy.Limit(KindHost, "server"); d != 90*24*time.Hour || from != "policy.role_max_age.server" {
		t.Errorf("server host key limit %v from %s", d, from)
	}
	if d, _ := cfg.Policy.Limit(KindAdmin, ""); d != 2*365*24*time.Hour {
		t.Errorf("admin limit %v", d)
	}
	if !cfg.Policy.NewDataKeyOnRevoke || cfg.VCS != "auto" || !strings.Contains(cfg.Deploy.Command, "{ssh}") {
		t.Errorf("policy %+v vcs %q deploy %q", cfg.Policy, cfg.VCS, cfg.Deploy.Command)
	}
	if got := cfg.Host("malphas").Role.Name; got != "server" {
		t.Errorf("malphas role %q", got)
	}
}

func TestEmptyConfig(t *testing.T) {
	cfg, err := ParseConfig("keycycle.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Policy.NewDataKeyOnRevoke || cfg.Files.Host != DefaultHostFile {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestBadConfigs: every error names its line and says what is wrong.
func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string // "line: substring"
	}{
		{"unknown role", "roles:\n  server: []\nhosts:\n  malphas: sever\n",
			[]string{`4:12: host malphas has unknown role "sever" (defined: server)`}},
		{"unknown category", "categories:\n  base: {}\nroles:\n  vm: [base, clli]\n",
			[]string{`4:14: role vm has unknown category "clli" (defined: base)`}},
		{"unknown category of host", "hosts:\n  a:\n    categories: [x]\n",
			[]string{`3:18: host a has unknown category "x" (none is defined)`}},
		{"category cycle", "categories:\n  a:\n    includes: [b]\n  b:\n    includes: [c]\n  c:\n    includes: [a]\n",
			[]string{"7:16: category includes form a cycle: a → b → c → a"}},
		{"self include", "roles:\n  r:\n    includes: [r]\n",
			[]string{"3:16: role includes form a cycle: r → r"}},
		{"wrong type", "categories: [base]\n",
			[]string{"1:13: categories must be a mapping, not a list"}},
		{"wrong type deep", "hosts:\n  a:\n    role: [vm]\n",
			[]string{"3:11: role of host a must be a string, not a list"}},
		{"bool", "policy:\n  new_data_key_on_revoke: sometimes\n",
			[]string{`2:27: policy.new_data_key_on_revoke must be true or false, not the string "sometimes"`}},
		{"not a path", "categories:\n  c:\n    secrets:\n      /passwords/borg: shared\n      a//b: shared\n      \"a b\": shared\n",
			[]string{"4:7: secret \"/passwords/borg\" is not a secret path: it starts with '/'",
				"5:7: secret \"a//b\" is not a secret path: it has an empty element",
				"6:7: secret \"a b\" is not a secret path: it contains white space"}},
		{"bad file", "categories:\n  c:\n    secrets:\n      x: ../etc/passwd\n      y: /abs.yaml\n",
			[]string{"4:10: the file of secret x must be shared, host or a path in the repository",
				"5:10: the file of secret y must be shared, host or a path in the repository: must be relative"}},
		{"unknown field", "hostz: {}\n", []string{`1:1: unknown field "hostz" in keycycle.yaml`}},
		{"bad age", "policy:\n  max_age:\n    host: 3 months\n    robot: 1y\n",
			[]string{`3:11: policy.max_age.host: "3 months" is not a length of time`,
				`4:5: unknown key kind "robot"`}},
		{"unknown role in policy", "policy:\n  role_max_age:\n    server: 90d\n",
			[]string{`3:5: policy.role_max_age names unknown role "server"`}},
		{"bad vcs", "vcs: svn\n", []string{`1:6: vcs must be git, jj, auto or none, not "svn"`}},
		{"bad deploy", "deploy: ssh {target} reboot\n", []string{"1:9: deploy command has the unknown placeholder {target}"}},
		{"bad deploy mapping", "deploy:\n  command: true\n  sudo: maybe\n  remote: x\n",
			[]string{`3:9: deploy.sudo must be true or false, not the string "maybe"`, `4:3: unknown field "remote" in deploy`}},
		{"duplicate", "roles: {vm: []}\nhosts:\n  a: vm\n  a: vm\n", []string{`4:3: "a" is given twice in hosts`}},
		{"bad name", "roles: {vm: []}\nhosts:\n  \"../x\": vm\n", []string{`3:3: host name "../x" is not a name`}},
		{"syntax", "hosts:\n  a: [\n", []string{"2: not valid YAML"}},
		{"generators", "generators:\n  a: pasword\n  b: {length: 3}\n  c: {kind: password, length: 0, alphabet: aa, bytes: 3}\n  d: {kind: command}\n  e: {kind: command, command: echo}\n  f/: hex\n  g: {kind: wireguard, public_secret: g, public_file: ../x}\n",
			[]string{`2:6: generator a has unknown kind "pasword" (known: password, hex`,
				"3:6: generator b has no kind:",
				"4:31: generator c: length must be between 1 and 4096, not 0",
				"4:44: generator c: alphabet repeats 'a'",
				`4:48: unknown field "bytes" in generator c (kind password) (known: kind, length, alphabet)`,
				"5:3: generator d of kind command needs command: [program, args…]",
				"6:31: generator e: command must be a list, not the string \"echo\"",
				"6:3: generator e of kind command needs command",
				`7:3: generator "f/" is not a secret path: it ends with '/'`,
				"8:55: generator g: public_file \"../x\" has an empty",
				"8:3: generator g: public_secret is the secret itself"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("keycycle.yaml", []byte(tc.doc))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("want Errors, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), "keycycle.yaml:"+w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
			if len(es) != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%v", len(es), len(tc.want), err)
			}
		})
	}
}

func TestKeysRoundTrip(t *testing.T) {
	created := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	retired := created.Add(48 * time.Hour)
	in := &Keys{Keys: []*Key{
		{Name: "old", Recipient: "age1old", Kind: KindHost, Owner: "old", Origin: OriginSSHHostKey, Created: &created, Retired: &retired, ReplacedBy: "new"},
		{Name: "new", Recipient: "age1new", Kind: KindHost, Owner: "old", Origin: OriginGenerated, Created: &retired},
		{Name: "rain", Recipient: "age1rain", Kind: KindUser, Origin: OriginImported},
	}}
	data, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "created: unknown") || !strings.HasPrefix(string(data), "# Public metadata") {
		t.Errorf("written:\n%s", data)
	}
	out, err := ParseKeys("keys.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	for i, k := range out.Keys {
		k.Pos = Pos{}
		if !reflect.DeepEqual(k, in.Keys[i]) {
			t.Errorf("key %d: %+v, want %+v", i, k, in.Keys[i])
		}
	}
}

func TestBadKeys(t *testing.T) {
	doc := "keys:\n  - name: a\n    recipient: age1a\n    kind: robot\n    created: yesterday\n    replaced_by: b\n  - name: c\n    recipient: age1a\n  - name: d\n"
	_, err := ParseKeys("keys.yaml", []byte(doc))
	for _, w := range []string{
		`keys.yaml:4:11: kind must be host, user, admin, backup or unknown, not "robot"`,
		`keys.yaml:5:14: created: "yesterday" is not a date`,
		`keys.yaml:2:5: key a is replaced by "b", which is not in the file`,
		`keys.yaml:7:5: recipient "age1a" is listed twice`,
		`keys.yaml:9:5: a key entry has no recipient`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestGuessKind(t *testing.T) {
	hosts := map[string]bool{"griefling": true}
	for _, tc := range []struct {
		name  string
		group []string
		want  Kind
	}{
		{"griefling", []string{"hosts"}, KindHost},
		{"rain_griefling", []string{"users"}, KindUser},
		{"griefling", nil, KindHost},
		{"rain_griefling", nil, KindUser},
		{"offsite_backup", nil, KindBackup},
		{"admin", nil, KindAdmin},
		{"zed", nil, KindUnknown},
	} {
		if got := GuessKind(tc.name, tc.group, hosts); got != tc.want {
			t.Errorf("%s %v: %s, want %s", tc.name, tc.group, got, tc.want)
		}
	}
	if got := GuessOwner("rain_griefling", KindUser, hosts); got != "griefling" {
		t.Errorf("owner %q", got)
	}
}

func TestGenerators(t *testing.T) {
	cfg, err := ParseConfig("keycycle.yaml", []byte("generators:\n  passwords/borg: password\n  wg/key: {kind: wireguard, public_secret: wg/pub}\n  api: {kind: command, command: [pass, show, api]}\n  raw: {kind: hex, bytes: 16}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Generator("passwords/borg")
	if g == nil || g.Kind != GenPassword || g.Length != DefaultPasswordLength || g.Alphabet != DefaultAlphabet || g.Pos.Line != 2 {
		t.Errorf("passwords/borg: %+v", g)
	}
	if g := cfg.Generator("wg/key"); g == nil || g.PublicSecret != "wg/pub" || !g.HasPublic() {
		t.Errorf("wg/key: %+v", g)
	}
	if g := cfg.Generator("api"); g == nil || strings.Join(g.Command, " ") != "pass show api" {
		t.Errorf("api: %+v", g)
	}
	if g := cfg.Generator("raw"); g == nil || g.Bytes != 16 {
		t.Errorf("raw: %+v", g)
	}
	if cfg.Generator("nope") != nil {
		t.Error("a generator for an undeclared path")
	}
}

func TestDeployMapping(t *testing.T) {
	cfg, err := ParseConfig("keycycle.yaml", []byte("deploy:\n  command: nixos-rebuild switch --target-host {ssh}\n  remote_keycycle: /run/current-system/sw/bin/keycycle\n  sudo: true\n  ssh_config: ssh/config\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Deploy
	if d.Command != "nixos-rebuild switch --target-host {ssh}" || d.RemoteKeycycle != "/run/current-system/sw/bin/keycycle" || !d.Sudo || d.SSHConfig != "ssh/config" {
		t.Errorf("deploy %+v", d)
	}
}
