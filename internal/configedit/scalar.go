package configedit

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// validName reports whether s can be a YAML anchor name for yaml.v3:
// letters, digits, '_' and '-' (sops reads its configs with yaml.v3).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// checkValue accepts a key value that can be written on one line.
func checkValue(s string) error {
	if s == "" || strings.TrimSpace(s) != s {
		return fmt.Errorf("%q: a key must be a non-empty string without surrounding white space", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return fmt.Errorf("%q: a key must not hold control characters or line breaks", s)
		}
	}
	return nil
}

// scalarText writes s as a YAML scalar for a block (flow false) or flow
// context: plain when YAML reads that back as the same string and style
// is plain, else quoted the way style says (single quotes by default).
func scalarText(s string, flow bool, style yaml.Style) (string, error) {
	if style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 && readsBack(s, s, flow) {
		return s, nil
	}
	var out string
	if style&yaml.DoubleQuotedStyle != 0 {
		out = strconv.Quote(s)
	} else {
		out = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	if !readsBack(out, s, flow) {
		return "", fmt.Errorf("cannot write %q as a YAML scalar", s)
	}
	return out, nil
}

// readsBack reports whether the scalar text written reads back as the
// string want, in a block or a flow context.
func readsBack(written, want string, flow bool) bool {
	doc := "k: " + written + "\n"
	if flow {
		doc = "k: [" + written + "]\n"
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil || len(n.Content) != 1 {
		return false
	}
	_, v, _ := mapGet(n.Content[0], "k")
	if v == nil {
		return false
	}
	if flow {
		if v.Kind != yaml.SequenceNode || len(v.Content) != 1 {
			return false
		}
		v = v.Content[0]
	}
	return v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == want && v.Anchor == "" &&
		v.LineComment == "" && (v.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) == 0
}

// probePath is the path used to find catch-all rules when no example path
// can be made from a new rule's path_regex.
const probePath = "sops/zzz-keycycle-probe.yaml"

// examplePaths returns paths that regex matches, shaped like the files it
// is written for: the shortest one with optional parts left in
// ("sops/web01.yaml" for `sops/web01\.ya?ml$`) and the shortest one with
// them left out. It returns nothing when it finds no such path.
func examplePaths(regex string) []string {
	re, err := syntax.Parse(regex, syntax.Perl)
	if err != nil {
		return nil
	}
	compiled, err := regexp.Compile(regex)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	var out []string
	for _, full := range []bool{true, false} {
		var b strings.Builder
		if !example(re, full, &b, 0) {
			continue
		}
		if s := b.String(); compiled.MatchString(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// example writes to b a string matched by re: optional parts included
// when full, repetitions as few times as allowed (once for '+').
func example(re *syntax.Regexp, full bool, b *strings.Builder, depth int) bool {
	if depth > 200 || b.Len() > 4096 {
		return false
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			b.WriteString(strings.ToLower(string(re.Rune)))
		} else {
			b.WriteString(string(re.Rune))
		}
	case syntax.OpCharClass:
		r, ok := pickRune(re.Rune)
		if !ok {
			return false
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		if full {
			b.WriteByte('.')
		} else {
			b.WriteByte('x')
		}
	case syntax.OpCapture, syntax.OpPlus:
		return example(re.Sub[0], full, b, depth+1)
	case syntax.OpQuest:
		if full {
			return example(re.Sub[0], full, b, depth+1)
		}
	case syntax.OpRepeat:
		n := re.Min
		if full && n == 0 && re.Max != 0 {
			n = 1
		}
		for range min(n, 64) {
			if !example(re.Sub[0], full, b, depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !example(sub, full, b, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			var alt strings.Builder
			if example(sub, full, &alt, depth+1) {
				b.WriteString(alt.String())
				return true
			}
		}
		return false
	}
	return true // empty matches, anchors, word boundaries, star
}

// pickRune chooses a character of a class (pairs of lo, hi) that looks
// like it belongs in a file name.
func pickRune(ranges []rune) (rune, bool) {
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= r && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for _, r := range "xa0_-." {
		if in(r) {
			return r, true
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := max(ranges[i], '!'); r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if r != '/' && unicode.IsPrint(r) {
				return r, true
			}
		}
	}
	if len(ranges) >= 2 {
		return ranges[0], true
	}
	return 0, false
}
