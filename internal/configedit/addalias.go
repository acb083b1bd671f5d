package configedit

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// ruleNodes returns the creation_rules key and value and, for each rule
// of Config().Rules, its item node (sopsconfig leaves null items out).
func (p *plan) ruleNodes() (key, seq *yaml.Node, items []*yaml.Node, err error) {
	key, seq = p.t.top("creation_rules")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		if len(p.e.cfg.Rules) > 0 {
			return nil, nil, nil, p.e.byHand(lineOf(key), "creation_rules is not written as a list")
		}
		return key, seq, nil, nil
	}
	for _, it := range seq.Content {
		if it.ShortTag() != "!!null" {
			items = append(items, it)
		}
	}
	rules := p.e.cfg.Rules
	ok := len(items) == len(rules)
	for i := 0; ok && i < len(items); i++ {
		ok = items[i].Line == rules[i].Pos.Line && items[i].Column == rules[i].Pos.Column
	}
	if !ok {
		return nil, nil, nil, p.e.byHand(key.Line, "cannot match the creation rules to their text")
	}
	return key, seq, items, nil
}

// lineOf is n's line, 0 for nil.
func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// anchorValue returns the value and line of the scalar anchor name (under
// keys: or elsewhere, the last definition as YAML aliases see it).
func (e *Editor) anchorValue(name string) (string, int, error) {
	if a, ok := e.cfg.AnchorByName(name); ok {
		return a.Value, a.Pos.Line, nil
	}
	for i := len(e.cfg.OtherAnchors) - 1; i >= 0; i-- {
		if a := e.cfg.OtherAnchors[i]; a.Name == name {
			return a.Value, a.Pos.Line, nil
		}
	}
	for _, g := range e.cfg.Groups {
		if g.Name == name {
			return "", 0, e.fail(ErrInvalid, g.Pos.Line, "&%s is a group of keys, not one key", name)
		}
	}
	return "", 0, e.fail(ErrNotFound, 0, "there is no key &%s", name)
}

// ruleName describes rule i for messages.
func (e *Editor) ruleName(i int) string {
	r := &e.cfg.Rules[i]
	if !r.HasPathRegex {
		return fmt.Sprintf("creation rule %d (without path_regex)", i+1)
	}
	return fmt.Sprintf("creation rule %d (path_regex %q)", i+1, r.PathRegex)
}

// AddAlias appends *name to the age list of key group 0 of rule
// ruleIndex: in a block list, a new line with the same prefix as the last
// item; in a flow list, ", *name" before the closing bracket; a group
// without an age list gets one. It returns ErrAlreadyPresent when the
// group already has that key (by alias or by value).
func (e *Editor) AddAlias(ruleIndex int, name string) error {
	if ruleIndex < 0 || ruleIndex >= len(e.cfg.Rules) {
		return e.fail(ErrNotFound, 0, "there is no creation rule %d (the file has %d)", ruleIndex+1, len(e.cfg.Rules))
	}
	value, defLine, err := e.anchorValue(name)
	if err != nil {
		return err
	}
	rule := &e.cfg.Rules[ruleIndex]
	for _, k := range rule.KeyGroups[0].Keys {
		if k.Alias == name || k.Type == sopsconfig.KeyAge && k.Value == value {
			return e.fail(ErrAlreadyPresent, rule.Pos.Line, "%s already has the key &%s", e.ruleName(ruleIndex), name)
		}
	}
	if defLine >= rule.Pos.Line {
		return e.byHand(rule.Pos.Line, "&%s is defined at line %d, after %s, and a YAML alias must follow its anchor", name, defLine, e.ruleName(ruleIndex))
	}
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	_, _, items, err := p.ruleNodes()
	if err != nil {
		return err
	}
	if err := p.addAlias(ruleIndex, items[ruleIndex], name); err != nil {
		return err
	}
	added := keySem{Type: string(sopsconfig.KeyAge), Value: value, Alias: name}
	want := semOf(e.cfg).clone()
	want.AliasUses[name]++
	return e.commit(p, func(next *sopsconfig.Config) error {
		got := semOf(next)
		if len(got.Rules) == len(want.Rules) && len(got.Rules[ruleIndex].Groups) > 0 {
			g := got.Rules[ruleIndex].Groups[0]
			j := slices.Index(g, added)
			if j < 0 {
				return fmt.Errorf("not give %s the key *%s", e.ruleName(ruleIndex), name)
			}
			got.Rules[ruleIndex].Groups[0] = slices.Delete(slices.Clone(g), j, j+1)
		}
		if d := diffSem(want, got); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	})
}

// addAlias plans *name at the end of the age list of rule i's first key
// group (node rule).
func (p *plan) addAlias(i int, rule *yaml.Node, name string) error {
	e := p.e
	what := e.ruleName(i)
	if rule.Kind != yaml.MappingNode || !isBlock(rule) {
		return e.byHand(rule.Line, "%s is not written as a block mapping (it is an alias or a flow mapping)", what)
	}
	group := rule
	if e.cfg.Rules[i].FromKeyGroups {
		_, kg, _ := mapGet(rule, "key_groups")
		if kg == nil || kg.Kind != yaml.SequenceNode || !isBlock(kg) {
			return e.byHand(rule.Line, "the key_groups of %s are not written as a block list in the rule itself", what)
		}
		group = nil
		for _, g := range kg.Content {
			if g.ShortTag() != "!!null" {
				group = g
				break
			}
		}
		if group == nil || group.Kind != yaml.MappingNode || !isBlock(group) {
			return e.byHand(rule.Line, "the first key group of %s is not written as a block mapping (an alias, shared with other places, or a flow mapping)", what)
		}
	}
	key, val, _ := mapGet(group, "age")
	alias := newAlias(name)
	switch {
	case key == nil && hasMergeKey(group):
		return e.byHand(group.Line, "the age keys of %s come from a merged mapping (<<)", what)
	case key == nil && group == rule:
		return e.byHand(rule.Line, "%s has no age list", what)
	case key == nil:
		p.addAgeKey(group, name)
		return nil
	case val.Kind == yaml.SequenceNode && !p.t.inFlow(p.t.parent[val]):
		if p.appendItem(val, "*"+name, alias) {
			return nil
		}
	case p.isEmptyNull(key, val):
		p.fillNull(group, key, val, "*"+name, alias)
		return nil
	case val.Kind == yaml.AliasNode:
		return e.byHand(val.Line, "the age list of %s is the alias *%s, shared with other places", what, val.Value)
	case val.Kind == yaml.ScalarNode:
		return e.byHand(val.Line, "the age keys of %s are written as a string, not a list", what)
	}
	return e.byHand(val.Line, "cannot find where the age list of %s ends", what)
}

// addAgeKey plans a new `age:` list holding *name at the end of key group
// mapping g, indented like the group's other lists.
func (p *plan) addAgeKey(g *yaml.Node, name string) {
	col := p.x.offset(g.Line, g.Column) - p.x.off(g.Line-1)
	lead := spaces(len([]rune(p.x.body(g.Line - 1)[:col])))
	prefix := lead + "  - "
	for i := 1; i < len(g.Content); i += 2 {
		if v := g.Content[i]; v.Kind == yaml.SequenceNode && isBlock(v) && len(v.Content) > 0 {
			if pre, ok := p.itemPrefix(v, v.Content[0]); ok {
				prefix = pre
				break
			}
		}
	}
	floor := -1
	if seq := p.t.parent[g]; seq != nil && seq.Kind == yaml.SequenceNode {
		floor = p.dashCol(seq)
	}
	p.ed.insertLines(p.itemEnd(g, floor)+1, []string{lead + "age:", prefix + "*" + name})
	g.Content = append(g.Content, newScalar("age", ""), newSeq("", newAlias(name)))
}

// spaces returns n spaces.
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}
