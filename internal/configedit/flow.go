package configedit

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// span is a byte range [start, end) of the source.
type span struct{ start, end int }

// flowSeq is the text layout of a flow sequence: where its brackets are
// and where each element starts and ends.
type flowSeq struct {
	open, close int
	elems       []span
}

// scanFlow finds the layout of flow sequence seq (which starts with '[')
// and checks that it agrees with the parser: one element per item, each
// starting where yaml.v3 says it does.
func (p *plan) scanFlow(seq *yaml.Node) (flowSeq, bool) {
	src := p.x.src
	open := p.x.offset(seq.Line, seq.Column)
	for open < len(src) && src[open] != '[' { // skip an anchor or tag
		open++
	}
	f := flowSeq{open: open, close: -1}
	cur := span{-1, -1}
	depth := 0
	for i := open + 1; i < len(src) && f.close < 0; i++ {
		switch c := src[i]; {
		case c == '#' && (src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case (c == '\'' || c == '"') && (cur.start < 0 || opensQuote(string(src[i-1:i+1]), 1)):
			if cur.start < 0 {
				cur.start = i
			}
			i = quoteEnd(src, i)
			cur.end = i + 1
		case c == '[' || c == '{':
			depth++
			cur = extend(cur, i)
		case (c == ']' || c == '}') && depth > 0:
			depth--
			cur = extend(cur, i)
		case c == ']':
			f.close = i
			if cur.start >= 0 {
				f.elems = append(f.elems, cur)
			}
		case c == ',' && depth == 0:
			if cur.start >= 0 {
				f.elems = append(f.elems, cur)
			}
			cur = span{-1, -1}
		default:
			cur = extend(cur, i)
		}
	}
	if f.close < 0 || len(f.elems) != len(seq.Content) {
		return f, false
	}
	for i, item := range seq.Content {
		if p.x.offset(item.Line, item.Column) != f.elems[i].start {
			return f, false
		}
	}
	return f, true
}

// extend adds byte i to the element being scanned.
func extend(cur span, i int) span {
	if cur.start < 0 {
		cur.start = i
	}
	cur.end = i + 1
	return cur
}

// quoteEnd is the index of the quote closing the quoted scalar opening at
// src[i] (len(src)-1 when it is not closed).
func quoteEnd(src []byte, i int) int {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch {
		case q == '"' && src[j] == '\\':
			j++
		case src[j] == q && q == '\'' && j+1 < len(src) && src[j+1] == '\'':
			j++
		case src[j] == q:
			return j
		}
	}
	return len(src) - 1
}

// flowInsert plans itemText as a new element of flow sequence seq after
// element i (-1: the sequence is empty), and node in the expected tree.
func (p *plan) flowInsert(seq *yaml.Node, i int, itemText string, node *yaml.Node) bool {
	f, ok := p.scanFlow(seq)
	if !ok || p.t.inFlow(p.t.parent[seq]) {
		return false
	}
	if len(f.elems) == 0 {
		p.ed.replace(f.open+1, f.open+1, itemText)
	} else {
		at := f.elems[i].end
		p.ed.replace(at, at, ", "+itemText)
	}
	insertNodes(seq, i+1, node)
	return true
}

// flowDelete plans the removal of the elements of flow sequence seq whose
// indexes are in drop, each with one comma next to it.
func (p *plan) flowDelete(seq *yaml.Node, drop []int) bool {
	f, ok := p.scanFlow(seq)
	if !ok || p.t.inFlow(p.t.parent[seq]) {
		return false
	}
	kept := -1 // the last element kept
	for i := range f.elems {
		if !slices.Contains(drop, i) {
			kept = i
		}
	}
	if kept < 0 {
		p.ed.replace(f.open+1, f.close, "")
		return true
	}
	for _, i := range drop {
		if i < kept {
			p.ed.replace(f.elems[i].start, f.elems[i+1].start, "")
		} else {
			p.ed.replace(f.elems[i-1].end, f.elems[i].end, "")
		}
	}
	return true
}
