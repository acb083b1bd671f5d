package audit

import "strings"

// Flag is a flag set on a command's line, as the log records it.
type Flag struct {
	Name string
	// Values are its values: one, or several for a repeated flag.
	Values []string
	// Bool marks a boolean flag, written bare when true.
	Bool bool
	// Secret keeps the value out of the log: --NAME=<redacted>.
	Secret bool
}

// Command is a command line as the log records it (CommandLine): the
// command path, each flag set, then the arguments, after "--" from the
// first one that starts with "-".
func Command(path string, flags []Flag, args []string) string {
	words := strings.Fields(path)
	for _, f := range flags {
		switch {
		case f.Secret:
			words = append(words, "--"+f.Name+"=<redacted>")
		case f.Bool && len(f.Values) == 1 && f.Values[0] == "true":
			words = append(words, "--"+f.Name)
		default:
			for _, v := range f.Values {
				words = append(words, "--"+f.Name+"="+v)
			}
		}
	}
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			words = append(words, "--")
			return CommandLine(append(words, args[i:]...))
		}
		words = append(words, a)
	}
	return CommandLine(words)
}
