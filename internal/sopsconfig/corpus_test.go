package sopsconfig

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// corpusDir locates /work/shared/corpus relative to this file, or skips.
func corpusDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test file")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: %v", dir, err)
	}
	return dir
}

// groupStrings renders a rule's key groups as the resolution jsonl does:
// one list of "type:value" per group.
func groupStrings(r *Rule) [][]string {
	out := [][]string{}
	for _, g := range r.KeyGroups {
		keys := []string{}
		for _, k := range g.Keys {
			keys = append(keys, string(k.Type)+":"+k.Value)
		}
		out = append(out, keys)
	}
	return out
}

func TestCorpusLoads(t *testing.T) {
	// These must fail to parse (sops: "Could not unmarshal"), at this line.
	brokenCorpusFiles := map[string]int{
		"EmergentMind_nix-secrets-reference.sops.yaml":                9,
		"EmergentMind_nix-secrets-reference.complex-branch.sops.yaml": 8,
	}
	dir := filepath.Join(corpusDir(t), "sops-yaml")
	files, err := filepath.Glob(filepath.Join(dir, "*.sops.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", dir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			c, err := Load(f)
			wantLine, broken := brokenCorpusFiles[name]
			if broken {
				var e *Error
				if !errors.As(err, &e) || e.Line < 1 {
					t.Fatalf("want a line-numbered *Error, got %v", err)
				}
				if e.Line != wantLine {
					t.Errorf("line = %d, want %d (%v)", e.Line, wantLine, err)
				}
				if !strings.HasPrefix(err.Error(), f+":") || strings.Contains(err.Error(), "\n") {
					t.Errorf("message not FILE:LINE: single line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.HasCreationRules || len(c.Rules) == 0 {
				t.Errorf("no creation rules")
			}
		})
	}
}

// resolution is one line of sops-3.13.3-resolution.jsonl.
type resolution struct {
	Config           string     `json:"config"`
	Path             string     `json:"path"`
	Error            string     `json:"error"`
	KeyGroups        [][]string `json:"key_groups"`
	ShamirThreshold  *int       `json:"shamir_threshold"`
	EncryptedRegex   *string    `json:"encrypted_regex"`
	UnencryptedRegex *string    `json:"unencrypted_regex"`
}

func TestResolutionGroundTruth(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "sops-yaml")
	f, err := os.Open(filepath.Join(dir, "sops-3.13.3-resolution.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var want resolution
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(want.Config+"/"+want.Path, func(t *testing.T) { checkResolution(t, dir, want) })
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d ground truth lines", n)
	}
}

// checkResolution compares our choice for one (config, path) with what
// sops 3.13.3 answered.
func checkResolution(t *testing.T, dir string, want resolution) {
	// sops's error for an invalid age recipient.
	badAgeRe := regexp.MustCompile(`^failed to parse input as Bech32-encoded age public key: malformed recipient "([^"]*)"`)
	c, err := Load(filepath.Join(dir, want.Config))
	if strings.Contains(want.Error, "Could not unmarshal") {
		var e *Error
		if !errors.As(err, &e) || e.Line < 1 {
			t.Fatalf("sops: %s; we: %v", want.Error, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	i, err := c.Match(want.Path)
	switch {
	case strings.HasSuffix(want.Error, "no matching creation rules found"):
		if !errors.Is(err, ErrNoMatch) || i != -1 {
			t.Fatalf("want ErrNoMatch, got %d, %v", i, err)
		}
		return
	case badAgeRe.MatchString(want.Error):
		// sops fails while building the age keys; recipients are checked
		// in internal/agekey: we must have chosen a rule with that key.
		if err != nil {
			t.Fatal(err)
		}
		bad := badAgeRe.FindStringSubmatch(want.Error)[1]
		if !slices.ContainsFunc(slices.Concat(groupStrings(&c.Rules[i])...), func(k string) bool { return k == "age:"+bad }) {
			t.Fatalf("rule %d has no age key %q: %v", i, bad, groupStrings(&c.Rules[i]))
		}
		return
	case want.Error != "":
		t.Fatalf("unexpected error kind in ground truth: %s", want.Error)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &c.Rules[i]
	if len(r.Errors) > 0 {
		t.Errorf("rule errors: %v", r.Errors)
	}
	if got, w := groupStrings(r), normGroups(want.KeyGroups); !slices.EqualFunc(got, w, slices.Equal) {
		t.Errorf("rule %d groups:\n got %q\nwant %q", i, got, w)
	}
	// The recorder leaves out zero values.
	if w := deref(want.ShamirThreshold); w != r.ShamirThreshold {
		t.Errorf("shamir_threshold = %d, want %d", r.ShamirThreshold, w)
	}
	if w := deref(want.EncryptedRegex); w != r.EncryptedRegex {
		t.Errorf("encrypted_regex = %q, want %q", r.EncryptedRegex, w)
	}
	if w := deref(want.UnencryptedRegex); w != r.UnencryptedRegex {
		t.Errorf("unencrypted_regex = %q, want %q", r.UnencryptedRegex, w)
	}
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
