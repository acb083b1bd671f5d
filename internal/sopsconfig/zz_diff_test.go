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

func TestSopsDiff(t *testing.T) {
	f, err := os.Open(os.Getenv("SOPSDIFF"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	valid := map[string]bool{}
	for _, k := range []string{"age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw", "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep", "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs", "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452"} {
		valid[k] = true
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	fails := 0
	for sc.Scan() {
		var w struct {
			Config, Path, Error, Panic string
			Nil                        bool
			Groups                     [][]string
		}
		json.Unmarshal(sc.Bytes(), &w)
		fail := func(format string, args ...any) {
			fails++
			if fails < 30 {
				t.Errorf("%s %s: "+format, append([]any{w.Config, w.Path}, args...)...)
			}
		}
		c, perr := Load(w.Config)
		if strings.Contains(w.Error, "Could not unmarshal") {
			if perr == nil {
				fail("sops: %s; we parse", w.Error)
			}
			continue
		}
		if perr != nil {
			fail("we fail %v; sops %+v", perr, w)
			continue
		}
		r, err := c.RuleFor(w.Path)
		var e *Error
		hasBadAge := func() bool {
			i, _ := c.Match(w.Path)
			if i < 0 {
				return false
			}
			for _, g := range c.Rules[i].KeyGroups {
				for _, k := range g.Keys {
					if k.Type == KeyAge && !valid[k.Value] {
						return true
					}
				}
			}
			return false
		}
		switch {
		case w.Nil:
			if !errors.Is(err, ErrNoCreationRules) {
				fail("sops nil; we %v", err)
			}
		case strings.Contains(w.Error, "no matching creation rules"):
			if !errors.Is(err, ErrNoMatch) {
				fail("sops no match; we %v", err)
			}
		case strings.Contains(w.Error, "can not compile regexp"):
			if !errors.As(err, &e) || !strings.Contains(e.Msg, "does not compile") {
				fail("sops %s; we %v", w.Error, err)
			}
		case w.Panic != "":
			if err == nil || !strings.Contains(err.Error(), "crash") {
				fail("sops panics %s; we %v", w.Panic, err)
			}
		case strings.HasPrefix(w.Error, "failed to parse input"):
			if err == nil && !hasBadAge() {
				fail("sops %s; we ok %v", w.Error, groupStrings(r))
			}
		case w.Error != "":
			if err == nil {
				fail("sops %s; we ok %v", w.Error, groupStrings(r))
			}
		default:
			if err != nil {
				fail("sops ok %v; we %v", w.Groups, err)
				continue
			}
			want := normGroups(w.Groups)
			if got := groupStrings(r); !slices.EqualFunc(got, want, slices.Equal) {
				fail("groups\n got %q\nwant %q", got, want)
			}
		}
	}
	t.Logf("%d failures", fails)
}
