package configedit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// AddRule inserts the creation rule `path_regex: <pathRegex>` with one key
// group whose age list is the aliases *name (in order).
//
// It goes before the first catch-all rule, else at the end of
// creation_rules. A catch-all, for the new rule, is an existing rule that
// would take the files the new rule is for, so that the new rule would
// never be used after it: a rule without path_regex (or with an empty
// one), a rule whose path_regex does not compile (sops stops there), or a
// rule whose path_regex matches an example path of the new rule. The
// example paths are made from pathRegex itself: the shortest path it
// matches with optional parts kept and the shortest with them left out
// (sops/web01.yaml for `sops/web01\.yaml$`). So `sops/[^/]+\.yaml$`,
// `.*`, `\.yaml$` are catch-alls for `sops/web01\.yaml$`, while
// `sops/shared\.yaml$` and rules for other folders are not. Inserting
// before the first rule that matches an example is sound: only paths the
// new rule matches can resolve differently, and its examples resolve to
// it (checked on the result). When no example can be made (a regex that
// matches nothing a generator finds), the probe path
// "sops/zzz-keycycle-probe.yaml" stands in for them.
//
// The rule is written like its nearest neighbour that has a key group
// with an age list (indentation, dash spacing, block or flow age list,
// path_regex quoting, key order), with the blank line between rules when
// its neighbours have one. It refuses a path_regex that some rule already
// has (ErrAlreadyPresent) and aliases that are not scalar anchors defined
// above the new rule.
func (e *Editor) AddRule(pathRegex string, aliases []string) error {
	if _, err := regexp.Compile(pathRegex); err != nil || pathRegex == "" {
		return e.fail(ErrInvalid, 0, "path_regex %q is not a usable regular expression", pathRegex)
	}
	if len(aliases) == 0 {
		return e.fail(ErrInvalid, 0, "a new rule needs at least one key")
	}
	rule := sopsconfig.Rule{PathRegex: pathRegex, HasPathRegex: true, FromKeyGroups: true}
	group := []sopsconfig.KeyRef{}
	lastDef := 0
	for i, a := range aliases {
		if slices.Contains(aliases[:i], a) {
			return e.fail(ErrInvalid, 0, "*%s is listed twice", a)
		}
		v, line, err := e.anchorValue(a)
		if err != nil {
			return err
		}
		lastDef = max(lastDef, line)
		if !slices.ContainsFunc(group, func(k sopsconfig.KeyRef) bool { return k.Value == v }) {
			group = append(group, sopsconfig.KeyRef{Type: sopsconfig.KeyAge, Value: v, Alias: a})
		}
	}
	rule.KeyGroups = []sopsconfig.KeyGroup{{Keys: group}}
	for i, r := range e.cfg.Rules {
		if r.HasPathRegex && r.PathRegex == pathRegex {
			return e.fail(ErrAlreadyPresent, r.Pos.Line, "creation rule %d already has path_regex %q", i+1, pathRegex)
		}
	}
	j, examples := e.ruleSlot(pathRegex)
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	at, err := p.addRule(j, pathRegex, aliases)
	if err != nil {
		return err
	}
	if lastDef > at {
		return e.byHand(lastDef, "the new rule goes at line %d, above this key's anchor, and a YAML alias must follow its anchor", at+1)
	}
	want := semOf(e.cfg).clone()
	want.Rules = slices.Insert(want.Rules, j, ruleSemOf(&rule))
	want.HasCreationRules = true
	for _, a := range aliases {
		want.AliasUses[a]++
	}
	return e.commit(p, func(next *sopsconfig.Config) error {
		if d := diffSem(want, semOf(next)); d != "" {
			return fmt.Errorf("%s", d)
		}
		for _, ex := range examples {
			if i, err := next.Match(ex); i != j {
				return fmt.Errorf("send %s to rule %d instead of the new rule %d (%v)", ex, i+1, j+1, err)
			}
		}
		return nil
	})
}

// ruleSlot is where a rule with path_regex regex goes (see AddRule), and
// the example paths it must then receive.
func (e *Editor) ruleSlot(regex string) (int, []string) {
	examples := examplePaths(regex)
	probes := examples
	if len(probes) == 0 {
		probes = []string{probePath}
	}
	for j, r := range e.cfg.Rules {
		if r.PathRegex == "" || r.RegexError != "" {
			return j, examples
		}
		re, err := regexp.Compile(r.PathRegex)
		if err != nil || slices.ContainsFunc(probes, re.MatchString) {
			return j, examples
		}
	}
	return len(e.cfg.Rules), examples
}

// addRule plans the new rule as rule j and returns the line it starts at.
func (p *plan) addRule(j int, regex string, aliases []string) (int, error) {
	key, seq, items, err := p.ruleNodes()
	if err != nil {
		return 0, err
	}
	switch {
	case key == nil:
		style := defaultRuleStyle(p.unit(), p.unit())
		lines, node, err := style.render(regex, aliases)
		if err != nil {
			return 0, p.e.fail(ErrInvalid, 0, "%v", err)
		}
		if p.t.root == nil {
			p.t.doc.Content = []*yaml.Node{newMap()}
			p.t.root = p.t.doc.Content[0]
		}
		p.t.root.Content = append(p.t.root.Content, newScalar("creation_rules", ""), newSeq("", node))
		p.ed.insertLines(p.x.n(), append([]string{"creation_rules:"}, lines...))
		return p.x.n(), nil
	case p.isEmptyNull(key, seq):
		lines, node, err := defaultRuleStyle(key.Column-1+p.unit(), p.unit()).render(regex, aliases)
		if err != nil {
			return 0, p.e.fail(ErrInvalid, 0, "%v", err)
		}
		_, _, i := mapGet(p.t.root, "creation_rules")
		p.t.root.Content[i+1] = newSeq("", node)
		p.ed.insertLines(key.Line, lines)
		return key.Line, nil
	case seq.Kind != yaml.SequenceNode || !isBlock(seq) || len(seq.Content) == 0:
		return 0, p.e.byHand(key.Line, "creation_rules is not written as a block list")
	}
	return p.insertRule(seq, items, j, regex, aliases)
}

// insertRule plans the new rule before rule j of block list seq (after the
// last item when j == len(items)).
func (p *plan) insertRule(seq *yaml.Node, items []*yaml.Node, j int, regex string, aliases []string) (int, error) {
	lines, node, err := p.ruleStyle(seq, items, j).render(regex, aliases)
	if err != nil {
		return 0, p.e.fail(ErrInvalid, 0, "%v", err)
	}
	blankBefore := func(ci int) bool {
		hs, ok1 := p.headStart(seq, ci)
		floor, ok2 := p.floorLine(seq, ci)
		return ok1 && ok2 && p.blankAbove(hs, floor)
	}
	if j < len(items) {
		ci := slices.Index(seq.Content, items[j])
		at, ok := p.headStart(seq, ci)
		if !ok {
			return 0, p.e.byHand(items[j].Line, "cannot find where %s starts", p.e.ruleName(j))
		}
		if ci > 0 && blankBefore(ci) || ci == 0 && len(seq.Content) > 1 && blankBefore(1) {
			lines = append(lines, "")
		}
		p.ed.insertLines(at, lines)
		insertNodes(seq, ci, node)
		return at, nil
	}
	last := len(seq.Content) - 1
	if _, ok := p.dashLine(seq, seq.Content[last]); !ok {
		return 0, p.e.byHand(seq.Content[last].Line, "cannot find where the last creation rule starts")
	}
	at := p.itemEnd(seq.Content[last], p.dashCol(seq)) + 1
	if last > 0 && blankBefore(last) {
		lines = append([]string{""}, lines...)
	}
	p.ed.insertLines(at, lines)
	seq.Content = append(seq.Content, node)
	return at, nil
}

// ruleStyle is how a new rule is written.
type ruleStyle struct {
	prefix      string // before the first key: "  - "
	kgFirst     bool   // key_groups before path_regex
	regexStyle  yaml.Style
	groupPrefix string // before "age:": "      - "
	agePrefix   string // before each alias: "          - "
	ageFlow     bool   // age: [*a, *b]
}

// defaultRuleStyle is the sops-nix README style with the dash at column
// dash and indentation step u.
func defaultRuleStyle(dash, u int) ruleStyle {
	return styleFrom(spaces(dash)+"- ", u)
}

// styleFrom is the sops-nix README style for rules starting with prefix.
func styleFrom(prefix string, u int) ruleStyle {
	content := len([]rune(prefix))
	return ruleStyle{
		prefix:      prefix,
		groupPrefix: spaces(content+u) + "- ",
		agePrefix:   spaces(content+2*u+2) + "- ",
	}
}

// ruleStyle copies the style of the rule nearest to slot j that has a key
// group with a list, falling back to defaults piece by piece.
func (p *plan) ruleStyle(seq *yaml.Node, items []*yaml.Node, j int) ruleStyle {
	s := defaultRuleStyle(p.dashCol(seq), p.unit())
	order := []int{}
	for d := 0; d <= len(items); d++ {
		for _, k := range []int{j - 1 - d, j + d} {
			if k >= 0 && k < len(items) && !slices.Contains(order, k) {
				order = append(order, k)
			}
		}
	}
	found := false
	for _, k := range order {
		r := items[k]
		if r.Kind != yaml.MappingNode || !isBlock(r) {
			continue
		}
		pre, ok := p.itemPrefix(seq, r)
		if !ok {
			continue
		}
		t := styleFrom(pre, p.unit())
		_, kg, kgi := mapGet(r, "key_groups")
		_, re, rei := mapGet(r, "path_regex")
		t.kgFirst = kg != nil && re != nil && kgi < rei
		if re != nil {
			t.regexStyle = re.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
		}
		complete := p.groupStyle(&t, kg)
		if !found || complete {
			s, found = t, true
		}
		if complete {
			break
		}
	}
	return s
}

// groupStyle fills the key group part of s from key_groups list kg and
// reports whether it found a list in a group to copy.
func (p *plan) groupStyle(s *ruleStyle, kg *yaml.Node) bool {
	if kg == nil || kg.Kind != yaml.SequenceNode || !isBlock(kg) || len(kg.Content) == 0 {
		return false
	}
	g := kg.Content[0]
	pre, ok := p.itemPrefix(kg, g)
	if !ok || g.Kind != yaml.MappingNode || !isBlock(g) {
		return false
	}
	s.groupPrefix = pre
	s.agePrefix = spaces(len(pre)+2) + "- "
	for i := 1; i < len(g.Content); i += 2 {
		v := g.Content[i]
		if v.Kind != yaml.SequenceNode {
			continue
		}
		if !isBlock(v) {
			s.ageFlow = g.Content[i-1].Value == "age"
			return true
		}
		if len(v.Content) > 0 {
			if ap, ok := p.itemPrefix(v, v.Content[0]); ok {
				s.agePrefix = ap
				return true
			}
		}
	}
	return false
}

// render writes the rule's lines and its node for the expected tree.
func (s ruleStyle) render(regex string, aliases []string) ([]string, *yaml.Node, error) {
	rt, err := scalarText(regex, false, s.regexStyle)
	if err != nil {
		return nil, nil, err
	}
	items := make([]*yaml.Node, len(aliases))
	refs := make([]string, len(aliases))
	for i, a := range aliases {
		items[i], refs[i] = newAlias(a), "*"+a
	}
	group := []string{s.groupPrefix + "age:"}
	if s.ageFlow {
		group[0] += " [" + strings.Join(refs, ", ") + "]"
	} else {
		for _, r := range refs {
			group = append(group, s.agePrefix+r)
		}
	}
	content := spaces(len([]rune(s.prefix)))
	regexPair := []*yaml.Node{newScalar("path_regex", ""), newScalar(regex, "")}
	kgPair := []*yaml.Node{newScalar("key_groups", ""), newSeq("", newMap(newScalar("age", ""), newSeq("", items...)))}
	if s.kgFirst {
		lines := append(append([]string{s.prefix + "key_groups:"}, group...), content+"path_regex: "+rt)
		return lines, newMap(append(kgPair, regexPair...)...), nil
	}
	lines := append([]string{s.prefix + "path_regex: " + rt, content + "key_groups:"}, group...)
	return lines, newMap(append(regexPair, kgPair...)...), nil
}
