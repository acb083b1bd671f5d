package sopsconfig

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ErrNoMatch is returned by Match when no creation rule matches the path
// (sops: "no matching creation rules found").
var ErrNoMatch = errors.New("no matching creation rules found")

// ErrNoCreationRules is returned by Match when the file has no
// creation_rules at all (absent or null). sops then behaves as if there
// were no config file: keys must come from the command line.
var ErrNoCreationRules = errors.New("no creation_rules in config")

// Error is a problem in a config file, at a line. Its message is one line:
// "FILE:LINE: what is wrong" (followed by what to do when that is obvious).
type Error struct {
	File string `json:"file"`
	// Line is 1-based; 0 when no line applies.
	Line int `json:"line"`
	// Msg says what is wrong, without the file and line.
	Msg string `json:"msg"`
}

// Error formats the error as "FILE:LINE: MSG".
func (e *Error) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// newError builds an *Error, keeping the message on one line.
func newError(file string, line int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
	return &Error{File: file, Line: line, Msg: msg}
}

// Patterns of yaml.v3 messages (compiled once, read-only).
var (
	yamlLineRe = regexp.MustCompile(`line (\d+): `)
	intoTypeRe = regexp.MustCompile(`^cannot unmarshal (\S+)( .*)? into (\S+)$`)
	dupKeyRe   = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	setFieldRe = regexp.MustCompile(`^field (\S+) already set in type \S+$`)
)

// describeType says in words what sops expects for a Go type of its config
// structs (mirrored in sopsstructs.go), as yaml.v3 names it.
func describeType(goType string) string {
	switch goType {
	case "sopsconfig.configFile":
		return "a mapping (creation_rules:, stores:, …)"
	case "[]sopsconfig.creationRule":
		return "a list of creation rules"
	case "sopsconfig.creationRule":
		return "a creation rule (a mapping)"
	case "[]sopsconfig.destinationRule":
		return "a list of destination rules"
	case "sopsconfig.destinationRule":
		return "a destination rule (a mapping)"
	case "[]sopsconfig.keyGroup":
		return "a list of key groups"
	case "sopsconfig.keyGroup":
		return "a key group (a mapping of age:, pgp:, …)"
	case "[]sopsconfig.kmsKey":
		return "a list of kms keys (mappings with arn:)"
	case "sopsconfig.kmsKey":
		return "a kms key (a mapping with arn:)"
	case "[]sopsconfig.gcpKmsKey":
		return "a list of gcp_kms keys (mappings with resource_id:)"
	case "sopsconfig.gcpKmsKey":
		return "a gcp_kms key (a mapping with resource_id:)"
	case "[]sopsconfig.azureKVKey":
		return "a list of azure_keyvault keys (mappings with vaultUrl:)"
	case "sopsconfig.azureKVKey":
		return "an azure_keyvault key (a mapping with vaultUrl:)"
	case "[]sopsconfig.hckmsKey":
		return "a list of hckms keys (mappings with key_id:)"
	case "sopsconfig.hckmsKey":
		return "an hckms key (a mapping with key_id:)"
	case "sopsconfig.storesConfig":
		return "a mapping of stores"
	case "[]string":
		return "a list of strings"
	case "string":
		return "a string"
	case "*string":
		return "a string"
	case "int":
		return "an integer"
	case "bool":
		return "true or false"
	case "map[string]*string":
		return "a mapping of strings"
	}
	return goType
}

// describeTag names a YAML tag for messages.
func describeTag(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!binary":
		return "binary data"
	case "!!timestamp":
		return "a timestamp"
	}
	return tag
}

// syntaxError turns a yaml.v3 parse error into an *Error with the best
// line we can find: the line yaml.v3 names (often the start of the
// enclosing block, 0-based), refined to the first line at which the
// document stops parsing with the same problem.
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0], "", 1)
	}
	if l := firstBadUTF8Line(data); l > 0 {
		return newError(file, l, "not valid UTF-8 text (%s); save the file as UTF-8", msg)
	}
	if l := firstFailingPrefix(data, line, msg); l > 0 {
		line = l
	}
	if line <= 0 {
		line = 1
	}
	return newError(file, line, "invalid YAML: %s; fix the syntax (indentation, quotes, '-' and ':') on this line or the lines just above it", msg)
}

// firstBadUTF8Line is the line of the first byte that is not UTF-8, or 0.
// A UTF-16 byte order mark makes the file UTF-16, which yaml.v3 accepts.
func firstBadUTF8Line(data []byte) int {
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		return 0
	}
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0
}

// maxPrefixParses and maxPrefixBytes bound the work spent looking for a
// better error line.
const (
	maxPrefixParses = 400
	maxPrefixBytes  = 4 << 20
)

// firstFailingPrefix returns the smallest k >= from such that the first k
// lines of data fail to parse with the same problem as the whole file, or
// 0 when there is none within maxPrefixParses tries.
func firstFailingPrefix(data []byte, from int, problem string) int {
	lines := strings.SplitAfter(string(data), "\n")
	if from < 1 {
		from = 1
	}
	budget := maxPrefixBytes
	for k, tries := from, 0; k <= len(lines) && tries < maxPrefixParses && budget > 0; k, tries = k+1, tries+1 {
		prefix := strings.Join(lines[:k], "")
		budget -= len(prefix)
		var n yaml.Node
		err := safeUnmarshal([]byte(prefix), &n)
		if err == nil {
			continue
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLineRe.ReplaceAllString(msg, "")
		if msg == problem {
			return k
		}
	}
	return 0
}

// safeUnmarshal is yaml.Unmarshal into a node, turning a panic inside
// yaml.v3 (it has a few on malformed input) into an error.
func safeUnmarshal(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this file (%v)", r)
		}
	}()
	return yaml.Unmarshal(data, n)
}

// decodeError turns an error of the sops-shaped decode (type errors,
// duplicate keys, alias problems) into an *Error on the first line named.
func decodeError(file string, root *yaml.Node, err error) *Error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first := te.Errors[0]
		line := 0
		if m := yamlLineRe.FindStringSubmatch(first); m != nil {
			line, _ = strconv.Atoi(m[1])
			first = strings.Replace(first, m[0], "", 1)
		}
		msg := explainTypeError(root, line, first)
		if n := len(te.Errors) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more problem(s))", n)
		}
		return newError(file, max(line, 1), "%s; sops cannot load this file", msg)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	switch {
	case strings.Contains(msg, "excessive aliasing"):
		line = firstNodeLine(root, func(n *yaml.Node) bool { return n.Alias != nil && n.Alias.Kind != yaml.ScalarNode })
		msg = "aliases expand to too many nodes (an alias bomb?): " + msg
	case strings.Contains(msg, "contains itself"):
		line = firstNodeLine(root, func(n *yaml.Node) bool { return n.Kind == yaml.AliasNode && strings.Contains(msg, "'"+n.Value+"'") })
	case strings.Contains(msg, "map merge"):
		line = firstNodeLine(root, func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Value == "<<" })
	}
	return newError(file, max(line, 1), "%s; sops cannot load this file", msg)
}

// explainTypeError rewrites one yaml.v3 type error in the words of a
// .sops.yaml author.
func explainTypeError(root *yaml.Node, line int, msg string) string {
	if m := dupKeyRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("duplicate key %q (first defined at line %s); remove one", m[1], m[2])
	}
	if m := setFieldRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("field %q is set twice; remove one", m[1])
	}
	m := intoTypeRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	got := describeTag(m[1])
	if v := strings.TrimSpace(m[2]); v != "" {
		got += " " + v
	}
	want := describeType(m[3])
	where := ""
	if name := fieldAtLine(root, line, m[1]); name != "" {
		where = name + ": "
	}
	return fmt.Sprintf("%sexpected %s, got %s", where, want, got)
}

// fieldAtLine names the mapping key whose value starts on line, for a
// value of YAML tag tag: the deepest such key, preferring values with
// that tag, or "".
func fieldAtLine(root *yaml.Node, line int, tag string) string {
	found, exact := "", false
	walkNodes(root, func(n *yaml.Node) bool {
		if n.Kind != yaml.MappingNode {
			return true
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			if v.Line != line {
				continue
			}
			same := v.ShortTag() == tag
			if same || !exact {
				found, exact = n.Content[i].Value, same
			}
		}
		return true
	})
	return found
}

// firstNodeLine is the line of the first node (document order, aliases
// not followed) that ok accepts, or 1.
func firstNodeLine(root *yaml.Node, ok func(*yaml.Node) bool) int {
	line := 0
	walkNodes(root, func(n *yaml.Node) bool {
		if line == 0 && ok(n) {
			line = n.Line
		}
		return line == 0
	})
	return max(line, 1)
}

// walkNodes calls f on every node in document order without following
// aliases; f returning false skips the node's children.
func walkNodes(n *yaml.Node, f func(*yaml.Node) bool) {
	if n == nil || !f(n) {
		return
	}
	for _, c := range n.Content {
		walkNodes(c, f)
	}
}
