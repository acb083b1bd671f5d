package configedit

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// RemoveRule deletes rule ruleIndex's lines. Its own comments directly
// above it (comment lines indented no deeper than its dash, with no blank
// line between) go too; comments belonging to the next rule stay. One
// blank line that separated it from its neighbours goes with it. Removing
// the only rule leaves `creation_rules: []`.
func (e *Editor) RemoveRule(ruleIndex int) error {
	if ruleIndex < 0 || ruleIndex >= len(e.cfg.Rules) {
		return e.fail(ErrNotFound, 0, "there is no creation rule %d (the file has %d)", ruleIndex+1, len(e.cfg.Rules))
	}
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	_, seq, items, err := p.ruleNodes()
	if err != nil {
		return err
	}
	item := items[ruleIndex]
	if !isBlock(seq) {
		return e.byHand(seq.Line, "creation_rules is written as a flow list")
	}
	for _, n := range p.t.order[p.t.index[item]:p.t.end[item]] {
		if n.Anchor == "" || n.Kind == yaml.AliasNode {
			continue
		}
		for _, a := range p.t.aliases(n.Anchor) {
			if !p.t.inSubtree(item, a) {
				return e.byHand(n.Line, "%s defines &%s, which line %d uses", e.ruleName(ruleIndex), n.Anchor, a.Line)
			}
		}
	}
	if err := p.removeRule(seq, slices.Index(seq.Content, item)); err != nil {
		return err
	}
	want := semOf(e.cfg).clone()
	want.Rules = slices.Delete(want.Rules, ruleIndex, ruleIndex+1)
	for _, n := range p.t.order[p.t.index[item]:p.t.end[item]] {
		switch {
		case n.Kind == yaml.AliasNode:
			if want.AliasUses[n.Value]--; want.AliasUses[n.Value] <= 0 {
				delete(want.AliasUses, n.Value)
			}
		case n.Kind == yaml.ScalarNode && n.Anchor != "":
			i := slices.IndexFunc(want.Other, func(a anchorSem) bool { return a.Name == n.Anchor })
			if i >= 0 {
				want.Other = slices.Delete(want.Other, i, i+1)
			}
		}
	}
	removeNode(seq, item)
	return e.commit(p, checkSem(want))
}

// removeRule plans the deletion of item ci of creation_rules list seq.
func (p *plan) removeRule(seq *yaml.Node, ci int) error {
	item := seq.Content[ci]
	start, ok1 := p.headStart(seq, ci)
	floor, ok2 := p.floorLine(seq, ci)
	_, ok3 := p.prefixOnly(seq, item)
	if !ok1 || !ok2 || !ok3 {
		return p.e.byHand(item.Line, "cannot find the lines of this creation rule")
	}
	end := p.itemEnd(item, p.dashCol(seq)) + 1
	after := end
	for after < p.x.n() && p.x.isBlank(after) {
		after++
	}
	before := start
	for before-1 > floor && p.x.isBlank(before-1) {
		before--
	}
	last := ci == len(seq.Content)-1
	switch {
	case !last && after > end && (before < start || ci == 0):
		end = after
	case last && before < start:
		start = before
	}
	p.ed.deleteLines(start, end)
	if len(seq.Content) == 1 && !p.markEmpty(seq) {
		return p.e.byHand(item.Line, "cannot leave creation_rules empty here")
	}
	return nil
}

// prefixOnly returns the prefix of item in block list seq when its dash
// line holds nothing before the item but the dash.
func (p *plan) prefixOnly(seq, item *yaml.Node) (string, bool) {
	pre, ok := p.itemPrefix(seq, item)
	return pre, ok && strings.TrimSpace(pre) == "-"
}

// RemoveKey deletes the anchor &name (a key under keys:) and every alias
// *name: items of block lists lose their lines, items of flow lists their
// element and one comma; a block list left without items becomes `[]`.
// It refuses (ErrWouldEmpty, naming the rules in Error.Rules) when that
// would leave a rule's key group without keys: remove those rules first.
// It refuses an alias that is not a list item (`age: *name`) and a name
// defined more than once or outside keys:.
func (e *Editor) RemoveKey(name string) error {
	a, ok := e.cfg.AnchorByName(name)
	if !ok {
		if _, _, err := e.anchorValue(name); err != nil {
			return err
		}
		return e.byHand(0, "&%s is not defined under keys:", name)
	}
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	defs := p.t.anchored(name)
	if len(defs) != 1 {
		return e.byHand(a.Pos.Line, "&%s is defined %d times", name, len(defs))
	}
	old := semOf(e.cfg)
	want := old.clone()
	want.withoutKey(name, a.Value, p.t.rulesUsing(p.t.groupAnchors(defs[0])))
	if err := e.wouldEmpty(old, want, name); err != nil {
		return err
	}
	if err := p.removeNodes(append(defs, p.t.aliases(name)...), name); err != nil {
		return err
	}
	i := slices.IndexFunc(want.Anchors, func(s anchorSem) bool { return s.Name == name })
	want.Anchors = slices.Delete(want.Anchors, i, i+1)
	delete(want.AliasUses, name)
	want.withoutValue(a.Value, true)
	return e.commit(p, func(next *sopsconfig.Config) error {
		got := semOf(next).clone()
		got.withoutValue(a.Value, true)
		if d := diffSem(want, got); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	})
}

// wouldEmpty returns ErrWouldEmpty when a key group of old has keys and
// the same group of want has none.
func (e *Editor) wouldEmpty(old, want cfgSem, name string) error {
	var rules []int
	var names []string
	for i := range old.Rules {
		for g := range old.Rules[i].Groups {
			if len(old.Rules[i].Groups[g]) > 0 && len(want.Rules[i].Groups[g]) == 0 && !slices.Contains(rules, i) {
				rules = append(rules, i)
				names = append(names, fmt.Sprintf("%s at line %d", e.ruleName(i), e.cfg.Rules[i].Pos.Line))
			}
		}
	}
	if len(rules) == 0 {
		return nil
	}
	which := "that rule"
	if len(rules) > 1 {
		which = "those rules"
	}
	err := e.fail(ErrWouldEmpty, 0, "removing &%s would leave a key group of %s without keys; remove %s first",
		name, strings.Join(names, ", "), which)
	err.Rules = rules
	return err
}

// removeNodes plans the removal of nodes (the anchor and its aliases),
// each an item of a list or, for the anchor, a value of a block mapping.
func (p *plan) removeNodes(nodes []*yaml.Node, name string) error {
	drops := map[*yaml.Node][]int{}
	var lists []*yaml.Node
	for _, n := range nodes {
		parent := p.t.parent[n]
		switch {
		case parent != nil && parent.Kind == yaml.SequenceNode:
			if _, seen := drops[parent]; !seen {
				lists = append(lists, parent)
			}
			drops[parent] = append(drops[parent], slices.Index(parent.Content, n))
		case parent != nil && parent.Kind == yaml.MappingNode && n.Kind == yaml.ScalarNode && isBlock(parent) &&
			p.t.keyOf(n) != nil && len(parent.Content) > 2:
			if err := p.removeEntry(parent, n); err != nil {
				return err
			}
		default:
			return p.e.byHand(n.Line, "&%s/*%s is used here other than as an item of a list", name, name)
		}
	}
	for _, seq := range lists {
		if err := p.removeItems(seq, drops[seq]); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		removeNode(p.t.parent[n], n)
	}
	return nil
}

// removeItems plans the removal of items drop of list seq.
func (p *plan) removeItems(seq *yaml.Node, drop []int) error {
	if p.t.inFlow(p.t.parent[seq]) {
		return p.e.byHand(seq.Line, "this list is inside a flow collection")
	}
	if !isBlock(seq) {
		if !p.flowDelete(seq, drop) {
			return p.e.byHand(seq.Line, "cannot find the elements of this flow list")
		}
		return nil
	}
	for _, i := range drop {
		if !p.deleteItem(seq, i) {
			return p.e.byHand(seq.Content[i].Line, "this list item shares its line with other text")
		}
	}
	if len(drop) == len(seq.Content) && !p.markEmpty(seq) {
		return p.e.byHand(seq.Line, "cannot leave this list empty")
	}
	return nil
}

// removeEntry plans the removal of the entry `key: value` of block
// mapping m, written on one line.
func (p *plan) removeEntry(m, value *yaml.Node) error {
	k := p.t.keyOf(value)
	l := k.Line - 1
	if value.Line != k.Line || p.itemEnd(value, -1) != l || indent(p.x.body(l)) != k.Column-1 {
		return p.e.byHand(value.Line, "this entry is not written on a line of its own")
	}
	p.ed.deleteLines(l, l+1)
	return nil
}
