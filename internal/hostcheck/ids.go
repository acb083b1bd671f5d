package hostcheck

// CheckInfo names one check.
type CheckInfo struct {
	ID   string
	Name string
}

// Checks lists every check Run runs, in the order it runs them (what
// --only accepts and the shell completion offers).
func Checks() []CheckInfo {
	return []CheckInfo{
		{"HC001", "ssh-host-key"}, {"HC002", "ssh-host-key-perms"},
		{"HC003", "age-key-file"}, {"HC004", "age-key-file-perms"},
		{"HC005", "leftover-key"}, {"HC006", "recipient-registered"},
		{"HC007", "secrets-link"}, {"HC008", "secrets-present"},
		{"HC009", "secrets-owner-mode"}, {"HC010", "user-age-key"},
		{"HC011", "key-age"}, {"HC012", "audit"}, {"HC013", "sops-nix-loaded"},
	}
}
