package configedit

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// genConfig writes a small config in one of the styles seen in the wild,
// chosen by the bits of n: flat or grouped keys, list or mapping groups,
// block or flow age lists, indentation, comments, blank lines between
// rules, a catch-all, CRLF, a final newline or not.
func genConfig(n uint) string {
	bit := func(i uint) bool { return n>>i&1 == 1 }
	ind := "  "
	if bit(0) {
		ind = "    "
	}
	var b strings.Builder
	if bit(1) {
		b.WriteString("# header comment\n")
	}
	switch n >> 2 % 3 {
	case 0:
		fmt.Fprintf(&b, "keys:\n%s# hosts\n%s- &h1 age1h1\n%s- &h2 age1h2\n%s# users\n%s- &u1 age1u1\n", ind, ind, ind, ind, ind)
	case 1:
		fmt.Fprintf(&b, "keys:\n%shosts: &hosts\n%s%s- &h1 age1h1\n%s%s- &h2 age1h2\n%susers:\n%s%s- &u1 age1u1\n", ind, ind, ind, ind, ind, ind, ind, ind)
	default:
		fmt.Fprintf(&b, "keys:\n%s- &hosts:\n%s%s- &h1 age1h1\n%s%s- &h2 age1h2\n%s- &users:\n%s%s- &u1 age1u1\n", ind, ind, ind, ind, ind, ind, ind, ind)
	}
	b.WriteString("creation_rules:\n")
	rules := [][]string{{`sops/shared\.yaml$`, "u1", "h1", "h2"}, {`sops/h1\.yaml$`, "u1", "h1"}, {`sops/h2\.yaml$`, "h2"}}
	if bit(4) {
		rules = append(rules, []string{`sops/[^/]+\.yaml$`, "u1"})
	}
	for i, r := range rules {
		if i > 0 && bit(5) {
			b.WriteString("\n")
		}
		if bit(6) {
			fmt.Fprintf(&b, "%s# rule %d\n", ind, i)
		}
		fmt.Fprintf(&b, "%s- path_regex: %s\n%s  key_groups:\n%s  %s- age:", ind, r[0], ind, ind, ind)
		if bit(7) {
			b.WriteString(" [*" + strings.Join(r[1:], ", *") + "]\n")
			continue
		}
		b.WriteString("\n")
		for _, a := range r[1:] {
			fmt.Fprintf(&b, "%s  %s%s- *%s\n", ind, ind, ind, a)
		}
	}
	out := b.String()
	if bit(8) {
		out = strings.TrimSuffix(out, "\n")
	}
	if bit(9) {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return out
}

// fuzzSeeds are the corpus files (when present) and generated configs.
func fuzzSeeds() [][]byte {
	var out [][]byte
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "sops-yaml")
		files, _ := filepath.Glob(filepath.Join(dir, "*.sops.yaml"))
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				out = append(out, data)
			}
		}
	}
	for n := uint(0); n < 1024; n += 37 {
		out = append(out, []byte(genConfig(n)))
	}
	return out
}

func FuzzEdit(f *testing.F) {
	for i, seed := range fuzzSeeds() {
		f.Add(seed, []byte{byte(i), 1, 2, 3, byte(i * 7), 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	}
	f.Fuzz(func(t *testing.T, src, ops []byte) {
		e, err := New("fuzz.yaml", src)
		if err != nil {
			return
		}
		for len(ops) >= 3 {
			before := bytes.Clone(e.Bytes())
			err := fuzzOp(e, ops[0], ops[1], ops[2])
			ops = ops[3:]
			checkAfterOp(t, e, before, err)
		}
		if (e.Diff() == "") == e.Changed() {
			t.Fatalf("Diff and Changed disagree")
		}
	})
}

// fuzzOp runs one operation chosen by op with arguments from x and y.
func fuzzOp(e *Editor, op, x, y byte) error {
	c := e.Config()
	names := []string{"h1", "u1", "new", "hosts", "users"}
	for _, a := range c.Anchors {
		names = append(names, a.Name)
	}
	name := names[int(x)%len(names)]
	rule := int(y) % (len(c.Rules) + 1)
	switch op % 7 {
	case 0:
		groups := []string{"", "hosts", "users", "Host", "admins"}
		return e.AddKey(groups[int(y)%len(groups)], fmt.Sprintf("k%d", x), fmt.Sprintf("age1k%d", x%17))
	case 1:
		regexes := []string{`sops/new\.yaml$`, `.*`, `hosts/x/secrets.ya?ml$`, `^a: b$`, `(`, `sops/h1\.yaml$`}
		return e.AddRule(regexes[int(y)%len(regexes)], []string{name, names[int(y)%len(names)]})
	case 2:
		return e.AddAlias(rule, name)
	case 3:
		return e.RemoveKey(name)
	case 4:
		return e.RemoveRule(rule)
	case 5:
		return e.SetValue(name, fmt.Sprintf("age1s%d", y%13))
	}
	_ = e.Diff()
	return nil
}

// checkAfterOp checks the invariants of an edit: a success leaves text
// that parses to Config(); a failure is an *Error and leaves the text.
func checkAfterOp(t *testing.T, e *Editor, before []byte, err error) {
	t.Helper()
	if err != nil {
		var ee *Error
		if !errors.As(err, &ee) || ee.Kind == nil || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not a one-line *Error: %q", err)
		}
		if !bytes.Equal(before, e.Bytes()) {
			t.Fatalf("failed edit (%v) changed the text", err)
		}
		return
	}
	c, perr := sopsconfig.Parse("fuzz.yaml", e.Bytes())
	if perr != nil {
		t.Fatalf("edit succeeded but the text does not parse: %v\n%s", perr, e.Bytes())
	}
	if d := diffSem(semOf(c), semOf(e.Config())); d != "" {
		t.Fatalf("Config() is stale: %s", d)
	}
	if bytes.Contains(before, []byte("\r\n")) && !bytes.Contains(before, []byte("\n\n")) &&
		bytes.Count(e.Bytes(), []byte("\n")) != bytes.Count(e.Bytes(), []byte("\r\n")) &&
		bytes.Count(before, []byte("\n")) == bytes.Count(before, []byte("\r\n")) {
		t.Fatalf("CRLF file got LF lines:\n%q", e.Bytes())
	}
}

func TestGeneratedConfigsEdit(t *testing.T) {
	for n := uint(0); n < 1024; n += 11 {
		src := genConfig(n)
		e, err := New("gen.yaml", []byte(src))
		if err != nil {
			t.Fatalf("config %d does not parse: %v\n%s", n, err, src)
		}
		steps := []func() error{
			func() error { return e.AddKey("hosts", "h3", "age1h3") },
			func() error { return e.AddRule(`sops/h3\.yaml$`, []string{"u1", "h3"}) },
			func() error { return e.AddAlias(0, "h3") },
			func() error { return e.RemoveRule(2) },
			func() error { return e.RemoveKey("h1") },
		}
		for i, step := range steps {
			before := bytes.Clone(e.Bytes())
			err := step()
			checkAfterOp(t, e, before, err)
			if err != nil {
				t.Fatalf("config %d step %d: %v\n%s", n, i, err, e.Bytes())
			}
		}
		if i, _ := e.Config().Match("sops/h3.yaml"); i < 0 || !strings.Contains(e.Config().Rules[i].PathRegex, "h3") {
			t.Errorf("config %d: sops/h3.yaml goes to rule %d", n, i)
		}
	}
}

// TestRandomOps runs seeded random operation sequences over every seed
// config, with FuzzEdit's invariants: the fuzz target's work without the
// fuzzing engine.
func TestRandomOps(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i, seed := range fuzzSeeds() {
		for range 4 {
			e, err := New("fuzz.yaml", seed)
			if err != nil {
				break
			}
			for range 6 {
				before := bytes.Clone(e.Bytes())
				err := fuzzOp(e, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)))
				checkAfterOp(t, e, before, err)
			}
			if (e.Diff() == "") == e.Changed() {
				t.Fatalf("seed %d: Diff and Changed disagree", i)
			}
		}
	}
}
