package hostcheck

import (
	"sort"
	"strconv"
	"strings"
)

// account is one line of etc/passwd or etc/group.
type account struct {
	name string
	id   int
	home string
}

// accounts reads the host's etc/passwd or etc/group (inside the root) by
// name; a missing file gives an empty table.
func (r Root) accounts(file string) map[string]account {
	out := map[string]account{}
	data, _, err := r.readFile(file)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		a := account{name: f[0], id: id}
		if len(f) >= 6 {
			a.home = f[5]
		}
		if _, dup := out[a.name]; !dup {
			out[a.name] = a
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
