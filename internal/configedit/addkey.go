package configedit

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// newKey is a key AddKey is adding.
type newKey struct {
	name, value string
}

// text writes `&name value` for a block or a flow list.
func (k newKey) text(flow bool) (string, error) {
	v, err := scalarText(k.value, flow, 0)
	return "&" + k.name + " " + v, err
}

// node is the key in the expected tree.
func (k newKey) node() *yaml.Node { return newScalar(k.value, k.name) }

// normGroup folds a group name for comparison: lower case, without the
// ':' of Misterio77's `- &users:` style.
func normGroup(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ":"))
}

// sameGroup reports whether two group names mean the same group: equal
// when folded, or the same but for a plural 's' ("host" and "hosts").
func sameGroup(a, b string) bool {
	a, b = normGroup(a), normGroup(b)
	return a != "" && b != "" && (a == b || strings.TrimSuffix(a, "s") == strings.TrimSuffix(b, "s"))
}

// AddKey adds `&name value` to the keys: group named group ("hosts",
// "users", … matched case-insensitively, a plural 's' aside, with the
// mapping keys and group anchors under keys:, Misterio77's "users:" style
// included).
//
// Where it goes:
//   - keys: is a mapping of groups (hosts:, users:): at the end of the
//     group's list; a group the file lacks is created after the last one,
//     in the same style; with group "" the only group there is.
//   - keys: is a list holding groups (`- &hosts:` items): at the end of
//     the group's list; a group the file lacks is created the same way.
//   - keys: is a flat list: after the last key of the section whose
//     comment names the group (`# hosts`, `# HOST KEYS`), else at the end.
//   - keys: is absent: it is created before creation_rules, with the
//     group when one is named.
//
// It refuses a name that is already an anchor and a value that is
// already an anchored key. A rule that uses the whole group through an
// alias (`age: *hosts`) gets the new key too, as YAML says.
func (e *Editor) AddKey(group, name, value string) error {
	group = strings.TrimSuffix(strings.TrimSpace(group), ":")
	switch {
	case !validName(name):
		return e.fail(ErrInvalid, 0, "%q cannot be a YAML anchor name: use letters, digits, '_' and '-'", name)
	case group != "" && !validName(group):
		return e.fail(ErrInvalid, 0, "%q cannot be a group name: use letters, digits, '_' and '-'", group)
	}
	if err := checkValue(value); err != nil {
		return e.fail(ErrInvalid, 0, "%v", err)
	}
	p, err := e.newPlan()
	if err != nil {
		return err
	}
	if defs := p.t.anchored(name); len(defs) > 0 {
		return e.fail(ErrAlreadyPresent, defs[0].Line, "&%s is already defined", name)
	}
	for _, a := range slices.Concat(e.cfg.Anchors, e.cfg.OtherAnchors) {
		if a.Value == value {
			return e.fail(ErrAlreadyPresent, a.Pos.Line, "%s is already the key &%s", value, a.Name)
		}
	}
	into, err := p.addKey(group, newKey{name, value})
	if err != nil {
		return err
	}
	return e.commit(p, e.checkAddKey(p.t.doc, into, name, value))
}

// checkAddKey returns the commit check of AddKey: the new anchor is
// there, in group into ("" for the flat list), and nothing else changed
// but the rules that alias a whole group holding it (expected is the
// planned document, to find those rules).
func (e *Editor) checkAddKey(expected *yaml.Node, into, name, value string) func(*sopsconfig.Config) error {
	old := semOf(e.cfg)
	old.withoutValue("", true) // a group written as `hosts:` holds a null
	return func(next *sopsconfig.Config) error {
		got := semOf(next).clone()
		got.withoutValue("", true)
		i := slices.IndexFunc(got.Anchors, func(a anchorSem) bool { return a.Name == name })
		if i < 0 || got.Anchors[i].Value != value {
			return fmt.Errorf("not define the key &%s", name)
		}
		g := got.Anchors[i].Group
		if first, _, _ := strings.Cut(g, "/"); into == "" && g != "" || into != "" && !sameGroup(first, into) {
			return fmt.Errorf("put &%s in the group %q instead of %q", name, g, into)
		}
		got.Anchors = slices.Delete(got.Anchors, i, i+1)
		t := treeOf(expected)
		var whole []bool
		if defs := t.anchored(name); len(defs) == 1 {
			whole = t.rulesUsing(t.groupAnchors(defs[0]))
		}
		for _, r := range got.dropGained(old, value) {
			if r >= len(whole) || !whole[r] {
				return fmt.Errorf("give creation rule %d the key &%s", r+1, name)
			}
		}
		got.withoutValue(value, false)
		got.Groups = slices.DeleteFunc(got.Groups, func(g groupSem) bool {
			return len(g.Values) == 0 && !slices.ContainsFunc(old.Groups, func(o groupSem) bool { return o.Name == g.Name })
		})
		if d := diffSem(old, got); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	}
}

// addKey plans the new key and returns the group it goes into.
func (p *plan) addKey(group string, k newKey) (string, error) {
	key, val := p.t.top("keys")
	switch {
	case key == nil:
		return group, p.createKeys(group, k)
	case p.isEmptyNull(key, val):
		return group, p.fillKeys(key, val, group, k)
	case val.Kind == yaml.MappingNode && isBlock(val):
		return p.addToKeyMap(val, group, k)
	case val.Kind == yaml.SequenceNode && isBlock(val):
		return p.addToKeyList(val, group, k)
	case val.Kind == yaml.SequenceNode && !hasContainers(val) && !p.t.inFlow(p.t.parent[val]):
		text, err := k.text(true)
		if err != nil {
			return "", p.e.fail(ErrInvalid, 0, "%v", err)
		}
		if p.flowInsert(val, len(val.Content)-1, text, k.node()) {
			return "", nil
		}
	}
	return "", p.e.byHand(key.Line, "keys: is written in a way keycycle cannot add to (a flow mapping, an alias or a scalar)")
}

// unit is the file's indentation step, from keys: or creation_rules.
func (p *plan) unit() int {
	for _, name := range []string{"keys", "creation_rules"} {
		if _, v := p.t.top(name); v != nil && isBlock(v) && v.Column > 1 && v.Column <= 9 {
			return v.Column - 1
		}
	}
	return 2
}

// keyLines are the lines of a new keys: value: a flat item, or a group
// holding it.
func (p *plan) keyLines(group string, k newKey, col int) ([]string, *yaml.Node, error) {
	text, err := k.text(false)
	if err != nil {
		return nil, nil, p.e.fail(ErrInvalid, 0, "%v", err)
	}
	u := p.unit()
	if group == "" {
		return []string{spaces(col+u) + "- " + text}, newSeq("", k.node()), nil
	}
	return []string{spaces(col+u) + group + ":", spaces(col+2*u) + "- " + text},
		newMap(newScalar(group, ""), newSeq("", k.node())), nil
}

// createKeys plans a keys: section, before creation_rules and the
// comments above it, or at the end of the file.
func (p *plan) createKeys(group string, k newKey) error {
	lines, value, err := p.keyLines(group, k, 0)
	if err != nil {
		return err
	}
	pair := []*yaml.Node{newScalar("keys", ""), value}
	crKey, _ := p.t.top("creation_rules")
	switch {
	case p.t.root == nil:
		p.t.doc.Content = []*yaml.Node{newMap(pair...)}
		p.ed.insertLines(p.x.n(), append([]string{"keys:"}, lines...))
	case crKey != nil:
		// Before the comments above creation_rules, unless they open the
		// file (a header).
		l := crKey.Line - 1
		for l > 0 && p.x.isComment(l-1) && indent(p.x.body(l-1)) == 0 {
			l--
		}
		if l == 0 {
			l = crKey.Line - 1
		}
		lines = append([]string{"keys:"}, lines...)
		if l > 0 && p.x.isBlank(l-1) {
			lines = append(lines, "")
		}
		_, _, i := mapGet(p.t.root, "creation_rules")
		insertNodes(p.t.root, i, pair...)
		p.ed.insertLines(l, lines)
	default:
		p.t.root.Content = append(p.t.root.Content, pair...)
		p.ed.insertLines(p.x.n(), append([]string{"keys:"}, lines...))
	}
	return nil
}

// fillKeys plans the value of a `keys:` written with nothing after it.
func (p *plan) fillKeys(key, val *yaml.Node, group string, k newKey) error {
	lines, value, err := p.keyLines(group, k, key.Column-1)
	if err != nil {
		return err
	}
	p.ed.insertLines(key.Line, lines)
	for i, c := range p.t.root.Content {
		if c == val {
			p.t.root.Content[i] = value
		}
	}
	return nil
}

// addToList plans k at the end of list seq (block or flow), or as its
// only item when seq is the null value of key in mapping parent.
func (p *plan) addToList(parent, key, seq *yaml.Node, k newKey) error {
	flow := seq.Kind == yaml.SequenceNode && !isBlock(seq)
	text, err := k.text(flow)
	if err != nil {
		return p.e.fail(ErrInvalid, 0, "%v", err)
	}
	switch {
	case seq.Kind == yaml.SequenceNode && !p.t.inFlow(p.t.parent[seq]):
		if p.appendItem(seq, text, k.node()) {
			return nil
		}
	case p.isEmptyNull(key, seq):
		p.fillNull(parent, key, seq, text, k.node())
		return nil
	}
	return p.e.byHand(seq.Line, "cannot add to the list of keys here (it is an alias, a scalar or inside a flow collection)")
}

// addToKeyMap plans k in keys: written as a mapping of groups.
func (p *plan) addToKeyMap(m *yaml.Node, group string, k newKey) (string, error) {
	var lists []int // indexes of the keys whose value is a list
	match := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		isList := vn.Kind == yaml.SequenceNode || p.isEmptyNull(kn, vn)
		if group != "" && sameGroup(kn.Value, group) && !isList {
			return "", p.e.byHand(kn.Line, "the group %s under keys: is not written as a list", kn.Value)
		}
		if isList {
			lists = append(lists, i)
			if match < 0 && group != "" && sameGroup(kn.Value, group) {
				match = i
			}
		}
	}
	if group == "" {
		if len(lists) != 1 {
			return "", p.e.fail(ErrInvalid, m.Line, "keys: is a mapping of %d groups; say which group the key goes into", len(lists))
		}
		match = lists[0]
	}
	if match >= 0 {
		return m.Content[match].Value, p.addToList(m, m.Content[match], m.Content[match+1], k)
	}
	return group, p.newMapGroup(m, lists, group, k)
}

// newMapGroup plans `group:` with k as its only item at the end of the
// keys: mapping m, in the style of its last list (lists are key indexes).
func (p *plan) newMapGroup(m *yaml.Node, lists []int, group string, k newKey) error {
	text, err := k.text(false)
	if err != nil {
		return p.e.fail(ErrInvalid, 0, "%v", err)
	}
	kc := m.Column - 1
	prefix, anchor := spaces(kc+p.unit())+"- ", ""
	if len(lists) > 0 {
		tk, tv := m.Content[lists[len(lists)-1]], m.Content[lists[len(lists)-1]+1]
		if tv.Kind == yaml.SequenceNode && isBlock(tv) && len(tv.Content) > 0 {
			if pre, ok := p.itemPrefix(tv, tv.Content[len(tv.Content)-1]); ok {
				prefix = pre
			}
		}
		if tv.Anchor != "" && tv.Anchor == tk.Value && len(p.t.anchored(group)) == 0 {
			anchor = group
		}
	}
	head := spaces(kc) + group + ":"
	if anchor != "" {
		head += " &" + anchor
	}
	last := m.Content[len(m.Content)-1]
	p.ed.insertLines(p.itemEnd(last, kc)+1, []string{head, prefix + text})
	m.Content = append(m.Content, newScalar(group, ""), newSeq(anchor, k.node()))
	return nil
}

// container is a group inside a keys: list: an item that is a one-entry
// mapping whose value is a list (`- hosts: [...]`, Misterio77's
// `- &hosts:`) or an anchored list (`- &hosts [...]`).
type container struct {
	name        string
	item        *yaml.Node
	key, list   *yaml.Node // key is nil for an anchored list item
	anchoredKey bool
}

// containersOf lists the groups inside keys: list seq.
func containersOf(seq *yaml.Node) []container {
	var out []container
	for _, it := range seq.Content {
		switch {
		case it.Kind == yaml.MappingNode && len(it.Content) == 2 && it.Content[0].Kind == yaml.ScalarNode &&
			(it.Content[1].Kind == yaml.SequenceNode || it.Content[1].ShortTag() == "!!null" && it.Content[1].Kind == yaml.ScalarNode):
			c := container{name: it.Content[0].Value, item: it, key: it.Content[0], list: it.Content[1]}
			if c.name == "" && c.key.Anchor != "" {
				c.name, c.anchoredKey = c.key.Anchor, true
			}
			out = append(out, c)
		case it.Kind == yaml.SequenceNode && it.Anchor != "":
			out = append(out, container{name: it.Anchor, item: it, list: it})
		}
	}
	return out
}

// hasContainers reports whether keys: list seq holds groups.
func hasContainers(seq *yaml.Node) bool { return len(containersOf(seq)) > 0 }

// addToKeyList plans k in keys: written as a list.
func (p *plan) addToKeyList(seq *yaml.Node, group string, k newKey) (string, error) {
	cs := containersOf(seq)
	if group != "" {
		for _, c := range cs {
			if sameGroup(c.name, group) {
				return c.name, p.addToList(c.item, c.key, c.list, k)
			}
		}
		if len(cs) > 0 {
			return group, p.newListGroup(seq, cs[len(cs)-1], group, k)
		}
	}
	text, err := k.text(false)
	if err != nil {
		return "", p.e.fail(ErrInvalid, 0, "%v", err)
	}
	if !p.insertItem(seq, p.sectionEnd(seq, group), text, k.node()) {
		return "", p.e.byHand(seq.Line, "cannot find how the items of keys: are written")
	}
	return "", nil
}

// newListGroup plans a new group item holding k at the end of keys: list
// seq, written like group item c.
func (p *plan) newListGroup(seq *yaml.Node, c container, group string, k newKey) error {
	if c.key == nil || c.anchoredKey && len(p.t.anchored(group)) > 0 {
		return p.e.byHand(c.item.Line, "cannot add the group %q to keys: in the style of the group %q", group, c.name)
	}
	text, err := k.text(false)
	if err != nil {
		return p.e.fail(ErrInvalid, 0, "%v", err)
	}
	prefix, ok := p.itemPrefix(seq, c.item)
	if !ok {
		return p.e.byHand(c.item.Line, "cannot find how the items of keys: are written")
	}
	inner := spaces(len([]rune(prefix))+2) + "- "
	if c.list.Kind == yaml.SequenceNode && isBlock(c.list) && len(c.list.Content) > 0 {
		if pre, ok := p.itemPrefix(c.list, c.list.Content[len(c.list.Content)-1]); ok {
			inner = pre
		}
	}
	key := newScalar(group, "")
	head := prefix + group + ":"
	if c.anchoredKey {
		key = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Anchor: group}
		head = prefix + "&" + group + ":"
	}
	last := seq.Content[len(seq.Content)-1]
	p.ed.insertLines(p.itemEnd(last, p.dashCol(seq))+1, []string{head, inner + text})
	seq.Content = append(seq.Content, newMap(key, newSeq("", k.node())))
	return nil
}

// sectionEnd picks the item of flat list seq after which a key of group
// goes: the last key of the section whose heading comment names the
// group, else the last key.
func (p *plan) sectionEnd(seq *yaml.Node, group string) int {
	dc := p.dashCol(seq)
	floor, _ := p.floorLine(seq, 0)
	lastScalar, lastMatch, matching := -1, -1, false
	for i, it := range seq.Content {
		dl, ok := p.dashLine(seq, it)
		if !ok {
			continue
		}
		heading, named := false, false
		for l := floor + 1; l < dl; l++ {
			if p.x.isComment(l) && indent(p.x.body(l)) <= dc {
				heading = true
				named = named || group != "" && mentions(p.x.body(l), group)
			}
		}
		if heading {
			matching = named
		}
		if it.Kind == yaml.ScalarNode {
			lastScalar = i
			if matching {
				lastMatch = i
			}
		}
		floor = p.itemEnd(it, dc)
	}
	switch {
	case lastMatch >= 0:
		return lastMatch
	case lastScalar >= 0:
		return lastScalar
	}
	return len(seq.Content) - 1
}

// mentions reports whether comment line s has a word naming group.
func mentions(s, group string) bool {
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return slices.ContainsFunc(words, func(w string) bool { return sameGroup(w, group) })
}
