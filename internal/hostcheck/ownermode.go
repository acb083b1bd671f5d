package hostcheck

import (
	"fmt"
)

// wantOwner resolves a secret's owner and group as sops-install-secrets
// does: the name when given (looked up in the host's etc/passwd and
// etc/group), else the numeric uid and gid.
func (c *checker) wantOwner(s Secret, users, groups map[string]account) (uid, gid int, err error) {
	uid, gid = s.UID, s.GID
	if s.Owner != nil {
		a, ok := users[*s.Owner]
		if !ok {
			return 0, 0, fmt.Errorf("owner %q is not in /etc/passwd", *s.Owner)
		}
		uid = a.id
	}
	if s.Group != nil {
		a, ok := groups[*s.Group]
		if !ok {
			return 0, 0, fmt.Errorf("group %q is not in /etc/group", *s.Group)
		}
		gid = a.id
	}
	return uid, gid, nil
}

// checkSecretsOwnerMode is HC009: each installed secret with the owner,
// group and mode the manifest declares.
func checkSecretsOwnerMode(c *checker) (Result, []fixAction) {
	res := result("HC009", "secrets-owner-mode")
	if len(c.opts.Expect) == 0 {
		res.skip("not checked: pass --expect with sops-nix's manifest")
		return res, nil
	}
	users, groups := c.root.accounts("/etc/passwd"), c.root.accounts("/etc/group")
	var fixes []fixAction
	checked := 0
	for _, t := range c.trees() {
		for _, s := range t.secrets {
			f, err := c.root.stat(s.linkPath(t.link))
			if err != nil || !f.info.Mode().IsRegular() {
				continue // HC008 reports it
			}
			checked++
			if fix := c.ownerMode(&res, f, s, users, groups); fix != nil {
				fixes = append(fixes, *fix)
			}
		}
	}
	if res.Status == OK {
		res.Message = fmt.Sprintf("%d secret(s) with the declared owner, group and mode", checked)
		return res, nil
	}
	res.Message = "installed secrets differ from the owner, group or mode the manifest declares"
	res.Hint = "'keycycle host check --expect FILE --fix' repairs them until the next activation; if they come back, the user or group did not exist when sops-nix ran"
	return res, fixes
}

// ownerMode checks one installed secret's mode and owner, and returns
// the repair when they differ.
func (c *checker) ownerMode(res *Result, f file, s Secret, users, groups map[string]account) *fixAction {
	uid, gid, err := c.wantOwner(s, users, groups)
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %v", f.host, err))
		return nil
	}
	mode, _ := s.fileMode()
	a := fixAction{file: f, uid: -1, gid: -1}
	if got := f.info.Mode().Perm(); got != mode.Perm() {
		res.problem(Fail, fmt.Sprintf("%s has mode %04o, want %04o", f.host, got, mode.Perm()))
		a.mode = mode.Perm()
	}
	gu, gg := ownerOf(f.info)
	if gu != uid || gg != gid {
		res.problem(Fail, fmt.Sprintf("%s is owned by %d:%d, want %d:%d", f.host, gu, gg, uid, gid))
		a.uid, a.gid = uid, gid
	}
	if a.mode == 0 && a.uid < 0 {
		return nil
	}
	return &a
}
