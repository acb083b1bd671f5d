package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/secret/keypath"
)

// secretPathProblem says why s is not a secret path ("" when it is).
func secretPathProblem(s string) string { return keypath.Problem(s) }

// filePathProblem says why s is not a repository-relative file path.
func filePathProblem(s string, hostAllowed bool) string {
	switch {
	case s == "":
		return "is empty"
	case strings.HasPrefix(s, "/"):
		return "must be relative to the repository root, not absolute"
	case strings.Contains(s, "\\"):
		return "must use '/' between folders"
	}
	for _, el := range strings.Split(s, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Sprintf("%s has an empty, '.' or '..' element", quote(s))
		}
	}
	rest := s
	if hostAllowed {
		rest = strings.ReplaceAll(s, "{host}", "")
	}
	if strings.ContainsAny(rest, "{}") {
		if hostAllowed {
			return fmt.Sprintf("%s has a placeholder other than {host}", quote(s))
		}
		return fmt.Sprintf("%s has a placeholder; only the host file pattern takes {host}", quote(s))
	}
	return ""
}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// templateProblem checks a deploy command's placeholders.
func templateProblem(cmd string) string {
	for _, m := range placeholderRE.FindAllString(cmd, -1) {
		if m != "{host}" && m != "{ssh}" {
			return fmt.Sprintf("has the unknown placeholder %s (known: {host}, {ssh})", m)
		}
	}
	return ""
}

// validate checks references between sections and cycles.
func validate(c *errs, cfg *Config) {
	for _, cat := range cfg.Categories {
		for _, r := range cat.Includes {
			if cfg.Category(r.Name) == nil {
				c.atPos(r.Pos, "category %s includes unknown category %s%s", cat.Name, quote(r.Name), known(categoryNames(cfg)))
			}
		}
	}
	for _, role := range cfg.Roles {
		for _, r := range role.Categories {
			if cfg.Category(r.Name) == nil {
				c.atPos(r.Pos, "role %s has unknown category %s%s", role.Name, quote(r.Name), known(categoryNames(cfg)))
			}
		}
		for _, r := range role.Includes {
			if cfg.Role(r.Name) == nil {
				c.atPos(r.Pos, "role %s includes unknown role %s%s", role.Name, quote(r.Name), known(roleNames(cfg)))
			}
		}
	}
	for _, h := range cfg.Hosts {
		if h.Role.Name != "" && cfg.Role(h.Role.Name) == nil {
			c.atPos(h.Role.Pos, "host %s has unknown role %s%s", h.Name, quote(h.Role.Name), known(roleNames(cfg)))
		}
		for _, r := range h.Categories {
			if cfg.Category(r.Name) == nil {
				c.atPos(r.Pos, "host %s has unknown category %s%s", h.Name, quote(r.Name), known(categoryNames(cfg)))
			}
		}
	}
	for name, a := range cfg.Policy.RoleMaxAge {
		if cfg.Role(name) == nil {
			c.atPos(a.Pos, "policy.role_max_age names unknown role %s%s", quote(name), known(roleNames(cfg)))
		}
	}
	cycles(c, "category", len(cfg.Categories), func(i int) (string, Pos, []Ref) {
		return cfg.Categories[i].Name, cfg.Categories[i].Pos, cfg.Categories[i].Includes
	})
	cycles(c, "role", len(cfg.Roles), func(i int) (string, Pos, []Ref) {
		return cfg.Roles[i].Name, cfg.Roles[i].Pos, cfg.Roles[i].Includes
	})
}

// cycles reports every include cycle among n named nodes, once each, at
// the include that closes it.
func cycles(c *errs, what string, n int, node func(int) (string, Pos, []Ref)) {
	index := map[string]int{}
	for i := 0; i < n; i++ {
		name, _, _ := node(i)
		index[name] = i
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	var stack []string
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		name, _, refs := node(i)
		stack = append(stack, name)
		for _, r := range refs {
			j, ok := index[r.Name]
			if !ok {
				continue
			}
			switch color[j] {
			case grey:
				start := 0
				for k, s := range stack {
					if s == r.Name {
						start = k
					}
				}
				path := append(append([]string{}, stack[start:]...), r.Name)
				c.atPos(r.Pos, "%s includes form a cycle: %s", what, strings.Join(path, " → "))
			case white:
				visit(j)
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := 0; i < n; i++ {
		if color[i] == white {
			visit(i)
		}
	}
}

func known(names []string) string {
	if len(names) == 0 {
		return " (none is defined)"
	}
	return " (defined: " + strings.Join(names, ", ") + ")"
}

func categoryNames(cfg *Config) []string {
	var out []string
	for _, x := range cfg.Categories {
		out = append(out, x.Name)
	}
	return out
}

func roleNames(cfg *Config) []string {
	var out []string
	for _, x := range cfg.Roles {
		out = append(out, x.Name)
	}
	return out
}
