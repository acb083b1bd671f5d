package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/repo"
)

// checkWidth fails on any line wider than width columns.
func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line %d is %d columns wide (max %d): %q", i+1, n, width, l)
		}
	}
}

func render(t *testing.T, f func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func table(t *testing.T, inv *Inventory, width int) string {
	t.Helper()
	return render(t, func(b *bytes.Buffer) error { return WriteTable(b, inv, width) })
}

// rowOf returns the matrix row of a file (the first one in a block).
func rowOf(t *testing.T, out, file string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), file+" ") {
			return l
		}
	}
	t.Fatalf("no row for %s in\n%s", file, out)
	return ""
}

func TestTableSeed(t *testing.T) {
	out := table(t, Build(fixBroken(seedRepo(t))), 0)
	checkWidth(t, out, 80)
	for _, want := range []string{
		"Keys (8)",
		"1  griefling       host     x25519  active        2       2  age1hm5l…v82d",
		"3  rain_griefling  user     x25519  active        2       4  age1uxvu…m000",
		"5  oldbox          unknown  x25519  orphan        1       0  age1szxq…73vd",
		"6  -               unknown  pgp     inline        1       1  7088C742…25E9",
		"7  -               unknown  x25519  unlisted      1       0  age1mhlh…ztxx",
		"Access (6 files × 8 keys)",
		"file                 status      1 2 3 4 5 6 7 8",
		"Legend:  ● can decrypt, as the rule wants",
		"broken.yaml (unreadable): yaml: line 3: did not find expected key.",
		"2 files differ from their rules (sops/ghost.yaml, sops/shared.yaml)",
		"Not encrypted though a rule matches: notes/todo.yaml",
		"Encrypted, but no creation rule matches: stray.yaml.",
		"Unlisted key(s) 7, 8 can decrypt files",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The unlisted keys, named by no anchor, are named whole in the
	// summary (the key list's column abbreviates every key).
	inv := Build(fixBroken(seedRepo(t)))
	flat := strings.Join(strings.Fields(out), " ")
	for _, k := range inv.Keys {
		if k.Status == KeyUnlisted && !strings.Contains(flat, k.Recipient) {
			t.Errorf("the summary does not name unlisted key %s whole:\n%s", k.Recipient, out)
		}
	}
	rows := map[string]string{
		"sops/ghost.yaml":     "drift       · ● - · · · + ·",
		"sops/griefling.yaml": "ok          ● · ● · · · · ·",
		"sops/shared.yaml":    "drift       ● ● ● ● + ● · ·",
		"notes/todo.yaml":     "plaintext   · · - · · · · ·",
		"stray.yaml":          "no-rule     · · · · · · · ○",
		"broken.yaml":         "unreadable  · · · · · · · ·",
	}
	for file, want := range rows {
		if got := rowOf(t, out, file); !strings.HasSuffix(got, want) {
			t.Errorf("row %s = %q, want suffix %q", file, got, want)
		}
	}
}

// manyKeys is a repository with n keys, each on one file of its own and
// all on shared.yaml, some with long names.
func manyKeys(t *testing.T, n int) *repo.Repo {
	t.Helper()
	var cfg, rule strings.Builder
	cfg.WriteString("keys:\n  hosts:\n")
	var all []string
	r := &repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml"}
	for i := 0; i < n; i++ {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		rec := id.Recipient().String()
		name := fmt.Sprintf("host%02d", i)
		if i%7 == 3 {
			name += "_with_a_very_long_anchor_name_for_the_table"
		}
		fmt.Fprintf(&cfg, "    - &%s %s\n", name, rec)
		fmt.Fprintf(&rule, "  - path_regex: hosts/%s/secrets\\.yaml$\n    age: *%s\n", name, name)
		all = append(all, rec)
		rel := "hosts/" + name + "/secrets.yaml"
		r.Entries = append(r.Entries, encrypted(rel, i, ages(rec), ages(rec)))
	}
	cfg.WriteString("creation_rules:\n")
	cfg.WriteString(rule.String())
	r.Config = parseConfig(t, cfg.String())
	r.Entries = append(r.Entries, encrypted("shared.yaml", -1, ages(all...), nil))
	return r
}

func TestTableSplitsColumns(t *testing.T) {
	inv := Build(manyKeys(t, 40))
	for _, width := range []int{0, 80, 60, 40, 132, 10} {
		out := table(t, inv, width)
		limit := max(width, minWidth)
		if width == 0 {
			limit = DefaultWidth
		}
		checkWidth(t, out, limit)
		blocks := strings.Count(out, "\n  keys ")
		if width == 132 && blocks != 2 || width == 80 && blocks < 2 || width == 40 && blocks < 4 {
			t.Errorf("width %d: %d column blocks\n%s", width, blocks, out)
		}
		if !strings.Contains(out, "keys 1–") {
			t.Errorf("width %d: no first block\n%s", width, out)
		}
		// Every key number appears once in the column headers.
		for k := 1; k <= 40; k++ {
			if !regexp.MustCompile(fmt.Sprintf(`(?m)^  file .* %d( |$)`, k)).MatchString(out) {
				t.Errorf("width %d: key %d has no column", width, k)
			}
		}
		if !strings.Contains(out, "host03_w") || !strings.Contains(out, "…") {
			t.Errorf("width %d: long names not cut:\n%s", width, out)
		}
	}
}

func TestTableEmpty(t *testing.T) {
	inv := Build(&repo.Repo{Root: "/repo", ConfigPath: "/repo/.sops.yaml", Config: parseConfig(t, "creation_rules: []\n")})
	out := table(t, inv, 80)
	for _, want := range []string{"Keys (0)", "none: no key", "no secrets file"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// weird is an inventory whose names try to break every output format.
func weird() *Inventory {
	return &Inventory{Root: "/r\"e\npo", Config: ".sops.yaml", Keys: []*Key{
		{Name: `q"uote\` + "\n}", Recipient: rAtlas, Type: "age", KeyType: "x25519", Kind: KindHost, Status: KeyActive, Files: 1, Wanted: 1},
		{Recipient: "ssh-ed25519 AAAA<script>alert(1)</script>#x", Type: "age", KeyType: "invalid", Kind: KindUnknown, Status: KeyUnlisted, Files: 1},
	}, Files: []*File{
		{Path: `a "b"\c <d>#e` + "`f`\n];end.yaml", Rule: 0, Status: FileDrift, RuleKnown: true,
			Access: []Access{{Key: 0, Has: true, Wanted: true}, {Key: 1, Has: true}}},
		{Path: "m.yaml", Rule: 0, Status: FileDrift, RuleKnown: true, Access: []Access{{Key: 0, Wanted: true}}},
	}}
}

func TestTableEscapes(t *testing.T) {
	out := table(t, weird(), 80)
	checkWidth(t, out, 80)
	if strings.Contains(out, "\n}") || strings.Contains(out, "\n];") {
		t.Errorf("a name broke a line:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return WriteJSON(b, Build(fixBroken(seedRepo(t)))) })
	var doc struct {
		Schema string `json:"schema"`
		Root   string `json:"root"`
		Config string `json:"config"`
		Keys   []struct {
			Index                                int
			Name, Recipient, Type, KeyType, Kind string
			Status                               string
			Files, Wanted, Line                  int
			Group                                []string
		} `json:"keys"`
		Files []struct {
			File    string `json:"file"`
			Rule    *int   `json:"rule"`
			Status  string `json:"status"`
			Error   string `json:"error"`
			Extra   int    `json:"extra"`
			Missing int    `json:"missing"`
			Access  []struct {
				Key         int
				Has, Wanted bool
			} `json:"access"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Schema != "keycycle.inventory/v1" || doc.Root != "/repo" || doc.Config != ".sops.yaml" {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Keys) != 8 || doc.Keys[0].Index != 1 || doc.Keys[0].Name != "griefling" || doc.Keys[0].Kind != "host" ||
		doc.Keys[0].Line != 3 || doc.Keys[0].Group[0] != "hosts" {
		t.Errorf("keys: %+v", doc.Keys)
	}
	for _, f := range doc.Files {
		switch f.File {
		case "sops/ghost.yaml":
			if f.Rule == nil || *f.Rule != 3 || f.Status != "drift" || f.Extra != 1 || f.Missing != 1 || len(f.Access) != 3 {
				t.Errorf("ghost.yaml: %+v", f)
			}
			if a := f.Access[0]; a.Key != 2 || !a.Has || !a.Wanted {
				t.Errorf("ghost.yaml access[0] = %+v, want key 2 has+wanted", a)
			}
		case "stray.yaml":
			if f.Rule != nil || f.Status != "no-rule" {
				t.Errorf("stray.yaml: %+v", f)
			}
		case "broken.yaml":
			if f.Error == "" || f.Access == nil {
				t.Errorf("broken.yaml: %+v (access must be [], not null)", f)
			}
		}
	}
	for _, must := range []string{`"rule": null`, `"access": []`, `"key_type": "x25519"`, `"status": "unlisted"`} {
		if !strings.Contains(out, must) {
			t.Errorf("JSON lacks %s", must)
		}
	}
}

func TestJSONEmpty(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return WriteJSON(b, &Inventory{Root: "/r"}) })
	if !strings.Contains(out, `"keys": []`) || !strings.Contains(out, `"files": []`) {
		t.Errorf("empty lists must be [], not null:\n%s", out)
	}
}

func TestDot(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return WriteDot(b, Build(fixBroken(seedRepo(t)))) })
	for _, want := range []string{
		"digraph inventory {",
		`k1 [shape=box, label="1 griefling\nhost x25519\nage1hm5l…v82d"];`,
		`k7 [shape=box, label="7 unlisted\nunknown x25519\nage1mhlh…ztxx", color=red, fontcolor=red];`,
		`f4 [shape=note, label="sops/griefling.yaml"];`,
		`f3 [shape=note, label="sops/ghost.yaml\n(drift)", style=dashed];`,
		"k1 -> f4;",
		`k7 -> f3 [style=dashed, color=red, label="extra"];`,
		`k3 -> f3 [style=dotted, label="missing"];`,
		"}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dot lacks %q:\n%s", want, out)
		}
	}
}

func TestMermaid(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return WriteMermaid(b, Build(fixBroken(seedRepo(t)))) })
	if !strings.HasPrefix(out, "flowchart LR\n") {
		t.Errorf("no header:\n%s", out)
	}
	for _, want := range []string{
		`k1(["1 griefling<br/>host x25519<br/>age1hm5l…v82d"])`,
		`f3["sops/ghost.yaml<br/>(drift)"]`,
		"k1 --> f4",
		"k7 -->|extra| f3",
		"k3 -.->|missing| f3",
		"style k7 stroke:red",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, out)
		}
	}
	// linkStyle must name the extra edges by their order.
	edgeLines := regexp.MustCompile(`(?m)^  k\d+ -`).FindAllStringIndex(out, -1)
	for _, m := range regexp.MustCompile(`(?m)^  linkStyle (\d+) stroke:red`).FindAllStringSubmatch(out, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		if n >= len(edgeLines) {
			t.Fatalf("linkStyle %d out of %d edges", n, len(edgeLines))
		}
		line := out[edgeLines[n][0]:]
		if line = line[:strings.Index(line, "\n")]; !strings.Contains(line, "|extra|") {
			t.Errorf("linkStyle %d styles %q, not an extra edge", n, line)
		}
	}
}

// quoted matches a complete double-quoted string with backslash escapes.
var dotString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

func TestGraphEscapes(t *testing.T) {
	dot := render(t, func(b *bytes.Buffer) error { return WriteDot(b, weird()) })
	for _, l := range strings.Split(strings.TrimSpace(dot), "\n") {
		// Outside its quoted strings, every line is plain dot syntax.
		rest := dotString.ReplaceAllString(l, `"S"`)
		if strings.ContainsAny(rest, "\\<#`") || strings.Count(rest, `"`)%2 != 0 {
			t.Errorf("dot line not escaped: %q", l)
		}
	}
	if !strings.Contains(dot, `label="1 q\"uote\\?}\nhost`) || !strings.Contains(dot, `label="a \"b\"\\c <d>#e`+"`f`"+`?];end.yaml\n(drift)"`) {
		t.Errorf("dot labels:\n%s", dot)
	}
	mm := render(t, func(b *bytes.Buffer) error { return WriteMermaid(b, weird()) })
	for _, l := range strings.Split(strings.TrimSpace(mm), "\n") {
		if !strings.Contains(l, `"`) {
			continue // edges and styles
		}
		if strings.Count(l, `"`) != 2 {
			t.Errorf("mermaid label not escaped: %q", l)
		}
		if inner := strings.ReplaceAll(l, "<br/>", ""); strings.ContainsAny(inner, "<>`") {
			t.Errorf("mermaid label keeps HTML or markdown characters: %q", l)
		}
	}
	for _, want := range []string{`k1(["1 q#34;uote\?}<br/>host`, `t#62;#35;x"])`, `f1["a #34;b#34;\c #60;d#62;#35;e#96;f#96;?];end.yaml<br/>(drift)"]`} {
		if !strings.Contains(mm, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mm)
		}
	}
}

func TestCuts(t *testing.T) {
	for _, c := range []struct {
		f    func(string, int) string
		in   string
		n    int
		want string
	}{
		{cutMiddle, "hosts/host03_with_a_long_name/secrets.yaml", 20, "hosts/…/secrets.yaml"},
		{cutMiddle, "sops/a.yaml", 20, "sops/a.yaml"},
		{cutMiddle, "abcdefgh", 4, "…fgh"},
		{cutRight, "rain_griefling", 6, "rain_…"},
		{cutLeft, "/home/rain/nix-secrets", 12, "…nix-secrets"},
		{func(s string, _ int) string { return shortKey(s) }, rAtlas, 0, "age1hm5l…v82d"},
		{func(s string, _ int) string { return shortKey(s) }, "age1short", 0, "age1short"},
	} {
		if got := c.f(c.in, c.n); got != c.want || cols(got) > max(c.n, 13) {
			t.Errorf("cut(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestSummaryLists(t *testing.T) {
	if got := ranges([]int{2, 3, 4, 5, 7, 9, 10, 12}); got != "2–5, 7, 9, 10, 12" {
		t.Errorf("ranges = %q", got)
	}
	if got := some([]string{"a", "b", "c", "d", "e", "f", "g"}); got != "a, b, c, d, e and 2 more" {
		t.Errorf("some = %q", got)
	}
	if got := some([]string{"a", "b"}); got != "a, b" {
		t.Errorf("some = %q", got)
	}
}
