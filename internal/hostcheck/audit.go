package hostcheck

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// AuditKey is the key (-k) of the audit rules the NixOS module installs.
const AuditKey = "keycycle"

// AuditReader is who read the watched files, and how often.
type AuditReader struct {
	UID   string `json:"uid"`
	AUID  string `json:"auid"`
	Exe   string `json:"exe"`
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// AuditSummary summarises the audit events of the watched files.
type AuditSummary struct {
	Events  int           `json:"events"`
	Readers []AuditReader `json:"readers"`
}

var (
	auditMsg   = regexp.MustCompile(`msg=audit\(([0-9.]+:[0-9]+)\)`)
	auditField = regexp.MustCompile(`\b(type|uid|auid|exe|name|key)=("[^"]*"|\S+)`)
)

// auditEvent is one event's fields gathered over its records.
type auditEvent struct {
	uid, auid, exe, key string
	paths               []string
}

// ParseAudit summarises `ausearch --raw` output: events whose key is
// AuditKey, grouped by uid, login uid, program and file.
func ParseAudit(raw []byte) *AuditSummary {
	events := map[string]*auditEvent{}
	var order []string
	for _, line := range strings.Split(string(raw), "\n") {
		m := auditMsg.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ev := events[m[1]]
		if ev == nil {
			ev = &auditEvent{}
			events[m[1]] = ev
			order = append(order, m[1])
		}
		ev.add(line)
	}
	counts := map[AuditReader]int{}
	sum := &AuditSummary{}
	for _, id := range order {
		ev := events[id]
		if ev.key != AuditKey {
			continue
		}
		sum.Events++
		for _, p := range ev.paths {
			counts[AuditReader{UID: ev.uid, AUID: ev.auid, Exe: ev.exe, Path: p}]++
		}
	}
	for r, n := range counts {
		r.Count = n
		sum.Readers = append(sum.Readers, r)
	}
	sort.Slice(sum.Readers, func(i, j int) bool {
		a, b := sum.Readers[i], sum.Readers[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return fmt.Sprint(a) < fmt.Sprint(b)
	})
	return sum
}

func (ev *auditEvent) add(line string) {
	typ := ""
	for _, f := range auditField.FindAllStringSubmatch(line, -1) {
		v := strings.Trim(f[2], `"`)
		switch f[1] {
		case "type":
			typ = v
		case "uid":
			if typ == "SYSCALL" {
				ev.uid = v
			}
		case "auid":
			if typ == "SYSCALL" {
				ev.auid = v
			}
		case "exe":
			ev.exe = v
		case "key":
			ev.key = v
		case "name":
			if typ == "PATH" && strings.HasPrefix(v, "/") {
				ev.paths = append(ev.paths, v)
			}
		}
	}
}

// checkAudit is HC012: a summary of who read the keys and secrets.
func checkAudit(c *checker) (Result, []fixAction) {
	res := result("HC012", "audit")
	if c.opts.Audit == nil {
		res.skip("no audit events to summarise (services.keycycle.audit.enable and ausearch)")
		return res, nil
	}
	sum := ParseAudit(c.opts.Audit)
	c.rep.Audit = sum
	res.Message = fmt.Sprintf("%d read(s) of the key files and secrets recorded", sum.Events)
	for i, r := range sum.Readers {
		if i == 20 {
			res.Details = append(res.Details, fmt.Sprintf("… and %d more", len(sum.Readers)-20))
			break
		}
		res.Details = append(res.Details, fmt.Sprintf("%s: %d× by uid %s (login uid %s) with %s", r.Path, r.Count, r.UID, r.AUID, r.Exe))
	}
	return res, nil
}
