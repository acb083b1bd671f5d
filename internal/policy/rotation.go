package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultWarn is the warning window when policy: gives none.
const DefaultWarn = 30 * 24 * time.Hour

// maxAge bounds an Age so that dates stay computable.
const maxAgeLimit = 100 * 365 * 24 * time.Hour

var ageRE = regexp.MustCompile(`^([0-9]{1,6})\s*(h|d|w|y)$`)

// ParseAge reads 36h, 90d, 12w or 1y (365 days).
func ParseAge(s string) (time.Duration, error) {
	m := ageRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%s is not a length of time: write a number followed by h, d, w or y, e.g. 90d", quote(s))
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
	d := time.Duration(n) * unit
	switch {
	case n == 0:
		return 0, fmt.Errorf("%s is zero: leave the entry out for no limit", quote(s))
	case d > maxAgeLimit || d < 0:
		return 0, fmt.Errorf("%s is longer than 100 years", quote(s))
	}
	return d, nil
}

func (c *errs) age(n *yaml.Node, what string) (Age, bool) {
	v, ok := c.scalar(n, what)
	if !ok {
		return Age{}, false
	}
	d, err := ParseAge(v)
	if err != nil {
		c.at(n, "%s: %v", what, err)
		return Age{}, false
	}
	return Age{D: d, Text: v, Pos: posOf(deref(n))}, true
}

var rotationFields = []string{"max_age", "role_max_age", "warn_before", "new_data_key_on_revoke", "enforce_from"}

func parseRotation(c *errs, r *Rotation, n *yaml.Node) {
	r.Pos = posOf(deref(n))
	for _, p := range c.mapping(n, "policy") {
		switch p.key.Value {
		case "max_age":
			r.MaxAge = map[Kind]Age{}
			for _, q := range c.mapping(p.val, "policy.max_age") {
				k := Kind(q.key.Value)
				if !validKind(k) {
					c.at(q.key, "unknown key kind %q in policy.max_age (known: host, user, admin, backup)", q.key.Value)
					continue
				}
				if a, ok := c.age(q.val, "policy.max_age."+q.key.Value); ok {
					r.MaxAge[k] = a
				}
			}
		case "role_max_age":
			r.RoleMaxAge = map[string]Age{}
			for _, q := range c.mapping(p.val, "policy.role_max_age") {
				if a, ok := c.age(q.val, "policy.role_max_age."+q.key.Value); ok {
					a.Pos = posOf(q.key)
					r.RoleMaxAge[q.key.Value] = a
				}
			}
		case "warn_before":
			r.Warn, _ = c.age(p.val, "policy.warn_before")
		case "new_data_key_on_revoke":
			r.NewDataKeyOnRevoke, _ = c.boolean(p.val, "policy.new_data_key_on_revoke")
		case "enforce_from":
			if v, ok := c.scalar(p.val, "policy.enforce_from"); ok {
				t, err := ParseTime(v)
				if err != nil {
					c.at(p.val, "policy.enforce_from: %v", err)
					continue
				}
				r.EnforceFrom, r.EnforceFromPos = &t, posOf(deref(p.val))
			}
		default:
			c.unknown(p.key, "policy", rotationFields...)
		}
	}
	if r.Warn.D == 0 {
		r.Warn = Age{D: DefaultWarn, Text: "30d"}
	}
}

func validKind(k Kind) bool {
	for _, x := range kindNames {
		if x == k {
			return true
		}
	}
	return false
}

// Limit returns the maximum age of a key of kind k owned by a host of
// role role ("" for none), and what sets it ("policy.max_age.host",
// "policy.role_max_age.server"); 0 when the policy sets none.
func (r *Rotation) Limit(k Kind, role string) (time.Duration, string) {
	var d time.Duration
	from := ""
	if a, ok := r.MaxAge[k]; ok {
		d, from = a.D, "policy.max_age."+string(k)
	}
	if a, ok := r.RoleMaxAge[role]; ok && role != "" && (d == 0 || a.D < d) {
		d, from = a.D, "policy.role_max_age."+role
	}
	return d, from
}
