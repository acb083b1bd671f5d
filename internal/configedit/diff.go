package configedit

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// opKind is one step of an edit script.
type opKind byte

// The steps, written as the first byte of their line in a hunk.
const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

// diffOp is one line of an edit script: the line and its index in a
// (deletions, equal lines) or b (insertions).
type diffOp struct {
	kind opKind
	a, b int
}

// splitKeep cuts data into lines, each with its "\n" (the last one may
// have none), so that a missing final newline is a difference.
func splitKeep(data []byte) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, string(data))
			break
		}
		out = append(out, string(data[:i+1]))
		data = data[i+1:]
	}
	return out
}

// editScript returns a shortest edit script from a to b (Myers's
// algorithm, after trimming the common head and tail).
func editScript(a, b []string) []diffOp {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []diffOp
	for i := range head {
		ops = append(ops, diffOp{opEqual, i, i})
	}
	for _, op := range myers(a[head:len(a)-tail], b[head:len(b)-tail]) {
		ops = append(ops, diffOp{op.kind, op.a + head, op.b + head})
	}
	for i := range tail {
		ops = append(ops, diffOp{opEqual, len(a) - tail + i, len(b) - tail + i})
	}
	return ops
}

// myers is the O((N+M)D) greedy algorithm, keeping each round's frontier
// to walk the path back.
func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	off := n + m + 1
	v := make([]int, 2*off+1)
	var trace [][]int
	for d := 0; d <= n+m; d++ {
		trace = append(trace, slices.Clone(v))
		for k := -d; k <= d; k += 2 {
			x := v[off+k-1] + 1
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, off, n, m)
			}
		}
	}
	return nil
}

// backtrack turns the frontiers of myers into an edit script.
func backtrack(trace [][]int, off, x, y int) []diffOp {
	var ops []diffOp
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		k := x - y
		prev := k - 1
		if k == -d || k != d && v[off+k-1] < v[off+k+1] {
			prev = k + 1
		}
		px := v[off+prev]
		py := px - prev
		for x > px && y > py {
			x, y = x-1, y-1
			ops = append(ops, diffOp{opEqual, x, y})
		}
		if d == 0 {
			break
		}
		if x == px {
			y--
			ops = append(ops, diffOp{opInsert, x, y})
		} else {
			x--
			ops = append(ops, diffOp{opDelete, x, y})
		}
	}
	slices.Reverse(ops)
	return ops
}

// unifiedDiff renders the difference between a and b as a unified diff
// with ctx lines of context, as GNU diff -u does (file names without
// dates); "" when they are equal.
func unifiedDiff(nameA, nameB string, a, b []byte, ctx int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := splitKeep(a), splitKeep(b)
	ops := editScript(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for i := 0; i < len(ops); {
		if ops[i].kind == opEqual {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i // one past the last change of the hunk
		for j := i; j < len(ops); j++ {
			if ops[j].kind != opEqual {
				end = j + 1
			} else if j-end >= 2*ctx {
				break
			}
		}
		stop := min(end+ctx, len(ops))
		writeHunk(&out, ops[start:stop], al, bl)
		i = stop
	}
	return out.String()
}

// writeHunk writes one hunk: its header and lines.
func writeHunk(out *strings.Builder, ops []diffOp, al, bl []string) {
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	for _, op := range ops {
		if op.kind != opInsert {
			aLen++
			if aStart < 0 {
				aStart = op.a
			}
		}
		if op.kind != opDelete {
			bLen++
			if bStart < 0 {
				bStart = op.b
			}
		}
	}
	if aStart < 0 {
		aStart = ops[0].a
	}
	if bStart < 0 {
		bStart = ops[0].b
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, op := range ops {
		var s string
		if op.kind == opInsert {
			s = bl[op.b]
		} else {
			s = al[op.a]
		}
		out.WriteByte(byte(op.kind))
		out.WriteString(strings.TrimSuffix(s, "\n"))
		out.WriteByte('\n')
		if !strings.HasSuffix(s, "\n") {
			out.WriteString("\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats a range of a hunk header as GNU diff does: "L" for
// one line, "L,N" otherwise, and the line before for an empty range.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
