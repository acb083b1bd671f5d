package configedit

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// bom is the UTF-8 byte order mark; yaml.v3 skips it and does not count
// it in columns.
const bom = "\ufeff"

// line is one line of the file: its text and its terminator ("\n",
// "\r\n", or "" for a last line without a newline).
type line struct {
	body, term string
}

// text is the file cut into lines, with what edits need to keep its
// conventions: the line ending new lines get and whether the file ends
// with a newline.
type text struct {
	src     []byte
	lines   []line
	starts  []int // byte offset of each line
	eol     string
	finalNL bool
}

// newText cuts src into lines. It refuses line breaks other than "\n"
// and "\r\n": YAML also breaks lines on a lone "\r", NEL, LS and PS, and
// the positions yaml.v3 reports would then not match our lines.
func newText(src []byte) (*text, error) {
	for i := 0; i < len(src); i++ {
		if src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			return nil, fmt.Errorf("line %d has a carriage return that does not end the line", bytes.Count(src[:i], []byte("\n"))+1)
		}
	}
	for _, r := range []string{"\u0085", "\u2028", "\u2029"} {
		if i := bytes.Index(src, []byte(r)); i >= 0 {
			return nil, fmt.Errorf("line %d holds a Unicode line separator (%U)", bytes.Count(src[:i], []byte("\n"))+1, []rune(r)[0])
		}
	}
	t := &text{src: src, eol: "\n", finalNL: true}
	for off := 0; off < len(src); {
		t.starts = append(t.starts, off)
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			t.lines = append(t.lines, line{body: string(src[off:])})
			t.finalNL = false
			break
		}
		body := string(src[off : off+i])
		term := "\n"
		if strings.HasSuffix(body, "\r") {
			body, term = body[:len(body)-1], "\r\n"
		}
		t.lines = append(t.lines, line{body: body, term: term})
		off += i + 1
	}
	for _, l := range t.lines {
		if l.term != "" {
			t.eol = l.term
			break
		}
	}
	return t, nil
}

// n is the number of lines.
func (t *text) n() int { return len(t.lines) }

// body is the text of line i (0-based) without its terminator.
func (t *text) body(i int) string { return t.lines[i].body }

// off is the byte offset where line i (0-based) starts; off(n) is the end.
func (t *text) off(i int) int {
	if i >= len(t.lines) {
		return len(t.src)
	}
	return t.starts[i]
}

// offset converts a yaml.v3 position (1-based line, 1-based column in
// characters) to a byte offset in src.
func (t *text) offset(lineNo, col int) int {
	if lineNo < 1 || lineNo > len(t.lines) {
		return len(t.src)
	}
	body := t.lines[lineNo-1].body
	base := t.starts[lineNo-1]
	if lineNo == 1 && strings.HasPrefix(body, bom) {
		body, base = body[len(bom):], base+len(bom)
	}
	i := 0
	for c := 1; c < col && i < len(body); c++ {
		_, size := utf8.DecodeRuneInString(body[i:])
		i += size
	}
	return base + i
}

// indent counts the leading spaces of s.
func indent(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// isBlank reports whether line i is empty or white space only.
func (t *text) isBlank(i int) bool {
	return strings.TrimSpace(t.lines[i].body) == ""
}

// isComment reports whether line i holds only a comment.
func (t *text) isComment(i int) bool {
	return strings.HasPrefix(strings.TrimLeft(t.lines[i].body, " \t"), "#")
}

// bodyEnd is the byte offset in src of the end of line i's content: before
// a trailing comment and trailing white space.
func (t *text) bodyEnd(i int) int {
	body := t.lines[i].body
	cut := len(body)
	inSingle, inDouble := false, false
	for j := 0; j < len(body); j++ {
		switch c := body[j]; {
		case inDouble && c == '\\':
			j++
		case c == '"' && !inSingle && (inDouble || opensQuote(body, j)):
			inDouble = !inDouble
		case c == '\'' && !inDouble && (inSingle || opensQuote(body, j)):
			inSingle = !inSingle
		case c == '#' && !inSingle && !inDouble && (j == 0 || body[j-1] == ' ' || body[j-1] == '\t'):
			cut = j
			j = len(body)
		}
	}
	return t.starts[i] + len(strings.TrimRight(body[:cut], " \t"))
}

// opensQuote reports whether a quote at body[j] can start a quoted
// scalar: at the start of a token.
func opensQuote(body string, j int) bool {
	return j == 0 || strings.IndexByte(" \t[{,:-?", body[j-1]) >= 0
}

// byteEdit replaces src[start:end] with repl.
type byteEdit struct {
	start, end int
	repl       string
}

// edits collects the changes of one operation before they are applied
// together. Line deletions are merged so that adjacent ones never
// overlap; a file without a final newline keeps not having one.
type edits struct {
	t     *text
	dels  []bool // per line: delete it
	bytes []byteEdit
}

// newEdits starts an empty set of changes to t.
func newEdits(t *text) *edits {
	return &edits{t: t, dels: make([]bool, t.n())}
}

// insertLines inserts bodies (without terminators) before line k
// (k == n appends).
func (e *edits) insertLines(k int, bodies []string) {
	t := e.t
	if len(bodies) == 0 {
		return
	}
	if k >= t.n() && !t.finalNL && t.n() > 0 {
		e.bytes = append(e.bytes, byteEdit{len(t.src), len(t.src), t.eol + strings.Join(bodies, t.eol)})
		return
	}
	var b strings.Builder
	for _, s := range bodies {
		b.WriteString(s)
		b.WriteString(t.eol)
	}
	at := t.off(k)
	e.bytes = append(e.bytes, byteEdit{at, at, b.String()})
}

// deleteLines deletes lines [a, b) (0-based).
func (e *edits) deleteLines(a, b int) {
	for i := max(a, 0); i < b && i < len(e.dels); i++ {
		e.dels[i] = true
	}
}

// replace replaces src[start:end] with repl.
func (e *edits) replace(start, end int, repl string) {
	e.bytes = append(e.bytes, byteEdit{start, end, repl})
}

// apply returns the edited text. Overlapping changes are an error: the
// planner made a mistake and nothing is written.
func (e *edits) apply() ([]byte, error) {
	t := e.t
	all := append([]byteEdit(nil), e.bytes...)
	for a := 0; a < len(e.dels); a++ {
		if !e.dels[a] {
			continue
		}
		b := a
		for b < len(e.dels) && e.dels[b] {
			b++
		}
		start := t.off(a)
		if b == t.n() && !t.finalNL && a > 0 {
			start -= len(t.lines[a-1].term)
		}
		all = append(all, byteEdit{start, t.off(b), ""})
		a = b
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })
	var out bytes.Buffer
	pos := 0
	for _, ed := range all {
		if ed.start < pos || ed.end < ed.start || ed.end > len(t.src) {
			return nil, fmt.Errorf("internal error: overlapping edits at byte %d", ed.start)
		}
		out.Write(t.src[pos:ed.start])
		out.WriteString(ed.repl)
		pos = ed.end
	}
	out.Write(t.src[pos:])
	return out.Bytes(), nil
}
