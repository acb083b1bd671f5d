package configedit

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Helpers that find the lines of block collections. Lines are 0-based
// here; yaml.v3 positions are 1-based.

// isBlock reports whether n is a block (not flow) sequence or mapping.
func isBlock(n *yaml.Node) bool {
	return (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle == 0
}

// isEmptyNull reports whether n is a null written as nothing at all (the
// value of `key:` with nothing after the colon).
func (p *plan) isEmptyNull(key, n *yaml.Node) bool {
	if key == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!null" || n.Value != "" || n.Anchor != "" || n.Line != key.Line {
		return false
	}
	rest := p.x.src[p.x.offset(key.Line, key.Column):p.x.bodyEnd(key.Line-1)]
	return strings.HasSuffix(string(rest), ":")
}

// dashCol is the column (0-based) of the '-' of a block sequence's items:
// where the sequence starts, unless an anchor or a tag stands there (then
// the sequence starts on its key's line): then left of the first item.
func (p *plan) dashCol(seq *yaml.Node) int {
	off := p.x.offset(seq.Line, seq.Column)
	if off < len(p.x.src) && p.x.src[off] == '-' || len(seq.Content) == 0 {
		return seq.Column - 1
	}
	first := seq.Content[0]
	body := p.x.body(first.Line - 1)
	col := p.x.offset(first.Line, first.Column) - p.x.off(first.Line-1)
	if j := strings.LastIndexByte(body[:col], '-'); j >= 0 && strings.Trim(body[:j], " ") == "" && strings.Trim(body[j+1:col], " ") == "" {
		return j
	}
	return seq.Column - 1
}

// dashLine is the line of the '-' that starts item of block sequence seq:
// the item's own line, or a line above holding only the dash.
func (p *plan) dashLine(seq, item *yaml.Node) (int, bool) {
	dc := p.dashCol(seq)
	for l := item.Line - 1; l >= 0 && l >= seq.Line-1; l-- {
		body := p.x.body(l)
		if len(body) > dc && body[dc] == '-' && strings.Trim(body[:dc], " ") == "" {
			if l == item.Line-1 {
				return l, true
			}
			rest := strings.TrimSpace(body[dc+1:])
			return l, rest == "" || strings.HasPrefix(rest, "#")
		}
		if l != item.Line-1 && !p.x.isBlank(l) && !p.x.isComment(l) {
			return 0, false
		}
	}
	return 0, false
}

// itemPrefix is the text before item on its dash line, e.g. "    - ",
// to start a new item of seq the same way.
func (p *plan) itemPrefix(seq, item *yaml.Node) (string, bool) {
	l, ok := p.dashLine(seq, item)
	if !ok {
		return "", false
	}
	dc := p.dashCol(seq)
	body := p.x.body(l)
	gap := " "
	if l == item.Line-1 {
		i := p.x.offset(item.Line, item.Column) - p.x.off(l)
		if i <= dc+1 || i > len(body) {
			return "", false
		}
		gap = body[dc+1 : i]
		if strings.Trim(gap, " ") != "" {
			return "", false
		}
	}
	return body[:dc] + "-" + gap, true
}

// itemEnd is the last line of n's text: up to the line before the next
// node, less trailing blank lines and comment lines indented at most
// floor (any comment when floor < 0), which belong to what follows.
func (p *plan) itemEnd(n *yaml.Node, floor int) int {
	start := n.Line - 1
	last := p.x.n() - 1
	if nx := p.t.next(n); nx != nil {
		last = nx.Line - 2
	}
	for last > start && (p.x.isBlank(last) || p.x.isComment(last) && (floor < 0 || indent(p.x.body(last)) <= floor)) {
		last--
	}
	return max(last, start)
}

// floorLine is the last line before seq's item i that is not part of
// it: the previous item's end, or the line of seq's key.
func (p *plan) floorLine(seq *yaml.Node, i int) (int, bool) {
	if i > 0 {
		return p.itemEnd(seq.Content[i-1], p.dashCol(seq)), true
	}
	k := p.t.keyOf(seq)
	if k == nil {
		return 0, false
	}
	return k.Line - 1, true
}

// headStart is the first line of seq's item i together with its own
// comments: the comment lines directly above its dash, indented no
// deeper than the dash, after the previous item.
func (p *plan) headStart(seq *yaml.Node, i int) (int, bool) {
	l, ok := p.dashLine(seq, seq.Content[i])
	if !ok {
		return 0, false
	}
	floor, ok := p.floorLine(seq, i)
	if !ok {
		return 0, false
	}
	for l-1 > floor && p.x.isComment(l-1) && indent(p.x.body(l-1)) <= p.dashCol(seq) {
		l--
	}
	return l, true
}

// blankAbove reports whether the line above l is blank and after floor.
func (p *plan) blankAbove(l, floor int) bool {
	return l-1 > floor && p.x.isBlank(l-1)
}

// insertItem plans a new item of block sequence seq after its item i:
// the line prefix+itemText after item i's text, and node in the expected
// tree. Items are scalars or aliases: their text ends at their line.
func (p *plan) insertItem(seq *yaml.Node, i int, itemText string, node *yaml.Node) bool {
	after := seq.Content[i]
	prefix, ok := p.itemPrefix(seq, after)
	if !ok {
		return false
	}
	floor := -1
	if after.Kind == yaml.MappingNode || after.Kind == yaml.SequenceNode {
		floor = p.dashCol(seq)
	}
	p.ed.insertLines(p.itemEnd(after, floor)+1, []string{prefix + itemText})
	insertNodes(seq, i+1, node)
	return true
}

// appendItem adds itemText at the end of sequence seq (block or flow).
func (p *plan) appendItem(seq *yaml.Node, itemText string, node *yaml.Node) bool {
	if seq.Style&yaml.FlowStyle != 0 {
		return p.flowInsert(seq, len(seq.Content)-1, itemText, node)
	}
	return len(seq.Content) > 0 && p.insertItem(seq, len(seq.Content)-1, itemText, node)
}

// fillNull plans a list of one item as the value of key (whose value v is
// written as nothing): a line "- itemText" under the key.
func (p *plan) fillNull(parent, key, v *yaml.Node, itemText string, node *yaml.Node) {
	col := p.x.offset(key.Line, key.Column) - p.x.off(key.Line-1)
	lead := strings.Repeat(" ", len([]rune(p.x.body(key.Line - 1)[:col])))
	p.ed.insertLines(key.Line, []string{lead + "  - " + itemText})
	seq := newSeq("", node)
	for i, c := range parent.Content {
		if c == v {
			parent.Content[i] = seq
		}
	}
}

// deleteItem plans the removal of item i of block sequence seq: its lines
// (comments above it stay). ok is false when other text shares them.
func (p *plan) deleteItem(seq *yaml.Node, i int) bool {
	item := seq.Content[i]
	prefix, ok := p.itemPrefix(seq, item)
	if !ok || strings.TrimSpace(prefix) != "-" {
		return false
	}
	start, _ := p.dashLine(seq, item)
	floor := -1
	if item.Kind == yaml.MappingNode || item.Kind == yaml.SequenceNode {
		floor = p.dashCol(seq)
	}
	p.ed.deleteLines(start, p.itemEnd(item, floor)+1)
	return true
}

// markEmpty writes " []" after the key of block sequence seq once all its
// items are gone, so that the value stays an (empty) list.
func (p *plan) markEmpty(seq *yaml.Node) bool {
	k := p.t.keyOf(seq)
	if k == nil || len(seq.Content) == 0 || k.Line >= seq.Content[0].Line {
		return false
	}
	at := p.x.bodyEnd(k.Line - 1)
	p.ed.replace(at, at, " []")
	return true
}
