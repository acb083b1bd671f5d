package sopsconfig

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// sopsAnswer is one line written by testdata/sopsdiff/main.go.txt: what
// sops's config.LoadCreationRuleForFile said for a config and a path.
type sopsAnswer struct {
	Config, Path, Error, Panic string
	Nil                        bool
	Groups                     [][]string
}

// TestSopsDiff compares us with the real sops loader on the answers in
// $SOPSCONFIG_SOPSDIFF (see testdata/sopsdiff/README.md); skipped when unset.
func TestSopsDiff(t *testing.T) {
	path := os.Getenv("SOPSCONFIG_SOPSDIFF")
	if path == "" {
		t.Skip("SOPSCONFIG_SOPSDIFF not set (see testdata/sopsdiff/README.md)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	fails := 0
	for sc.Scan() {
		var w sopsAnswer
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		if msg := compareWithSops(w); msg != "" {
			if fails++; fails <= 30 {
				t.Errorf("%s %s: %s", w.Config, w.Path, msg)
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d differences", fails)
	}
}

// compareWithSops returns what differs between us and sops, or "".
func compareWithSops(w sopsAnswer) string {
	c, perr := Load(w.Config)
	if strings.Contains(w.Error, "Could not unmarshal") {
		if perr == nil {
			return "sops cannot load it, we can: " + w.Error
		}
		return ""
	}
	if perr != nil {
		return "we cannot load it: " + perr.Error()
	}
	r, err := c.RuleFor(w.Path)
	var e *Error
	switch {
	case w.Nil:
		if !errors.Is(err, ErrNoCreationRules) {
			return "sops: no creation rules; we: " + errString(err)
		}
	case strings.Contains(w.Error, "no matching creation rules"):
		if !errors.Is(err, ErrNoMatch) {
			return "sops: no match; we: " + errString(err)
		}
	case strings.Contains(w.Error, "can not compile regexp"):
		if !errors.As(err, &e) || !strings.Contains(e.Msg, "does not compile") {
			return "sops: " + w.Error + "; we: " + errString(err)
		}
	case w.Panic != "":
		if err == nil || !strings.Contains(err.Error(), "crash") {
			return "sops panics (" + w.Panic + "); we: " + errString(err)
		}
	case strings.HasPrefix(w.Error, "failed to parse input"):
		if err == nil && !hasInvalidAge(r) {
			return "sops: " + w.Error + "; we have only valid age keys"
		}
	case w.Error != "":
		if err == nil {
			return "sops: " + w.Error + "; we: no error"
		}
	default:
		if err != nil {
			return "sops: ok; we: " + err.Error()
		}
		if got, want := groupStrings(r), normGroups(w.Groups); !slices.EqualFunc(got, want, slices.Equal) {
			return "key groups differ"
		}
	}
	return ""
}

// hasInvalidAge reports an age key of r outside the recipients gen.py uses.
func hasInvalidAge(r *Rule) bool {
	valid := []string{
		"age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
		"age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep",
		"age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
		"age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452",
	}
	for _, g := range r.KeyGroups {
		for _, k := range g.Keys {
			if k.Type == KeyAge && !slices.Contains(valid, k.Value) {
				return true
			}
		}
	}
	return false
}

// errString is err.Error(), or "no error".
func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
