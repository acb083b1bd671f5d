package policy

import "strings"

// GuessKind guesses what a .sops.yaml key is for from the groups above it
// under keys: (innermost first wins: hosts, users, admins, backup) and its
// anchor name: admin and backup names, a name that is a host (hosts holds
// the names of per-host files), user_host names as in the seed.
func GuessKind(name string, group []string, hosts map[string]bool) Kind {
	for i := len(group) - 1; i >= 0; i-- {
		if k := wordKind(group[i]); k != KindUnknown {
			return k
		}
	}
	n := strings.ToLower(name)
	switch {
	case n == "":
		return KindUnknown
	case strings.Contains(n, "admin"):
		return KindAdmin
	case strings.Contains(n, "backup") || strings.Contains(n, "recovery"):
		return KindBackup
	case hosts[n]:
		return KindHost
	case strings.Contains(n, "_") || strings.HasPrefix(n, "user"):
		return KindUser
	}
	return KindUnknown
}

// ClassifyKey is GuessKind for a key of a repository: a key listed by
// every creation rule (inEveryRule) that is not a host's is an admin key
// — an operator's key that opens every file — even when it stands under
// users: (the seed's layout lists the admin there).
func ClassifyKey(name string, group []string, hosts map[string]bool, inEveryRule bool) Kind {
	k := GuessKind(name, group, hosts)
	if inEveryRule && (k == KindUser || k == KindUnknown) && GuessOwner(name, KindUser, hosts) == "" {
		return KindAdmin
	}
	return k
}

// wordKind classifies a group name under keys:.
func wordKind(g string) Kind {
	g = strings.ToLower(g)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(g, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("admin"):
		return KindAdmin
	case has("backup", "recovery"):
		return KindBackup
	case has("host", "server", "machine", "node", "system"):
		return KindHost
	case has("user", "people", "person", "member", "human"):
		return KindUser
	}
	return KindUnknown
}

// GuessOwner returns the host a key belongs to: a host key its own name,
// a user key named user_host the host part when it is a known host.
func GuessOwner(name string, kind Kind, hosts map[string]bool) string {
	switch kind {
	case KindHost:
		return name
	case KindUser:
		if i := strings.LastIndex(name, "_"); i >= 0 && hosts[strings.ToLower(name[i+1:])] {
			return name[i+1:]
		}
	}
	return ""
}
