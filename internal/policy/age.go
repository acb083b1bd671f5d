package policy

import "time"

// AgeStatus is where a key stands against the rotation policy.
type AgeStatus string

// Age statuses, as inventory shows them.
const (
	AgeOK      AgeStatus = "ok"
	AgeDueSoon AgeStatus = "due-soon"
	AgeOverdue AgeStatus = "overdue"
	AgeRetired AgeStatus = "retired"
	// AgeUnknown: the policy limits the key's age but its creation date
	// is unknown.
	AgeUnknown AgeStatus = "unknown"
	// AgeNoLimit: no policy limits this key's age.
	AgeNoLimit AgeStatus = "no-limit"
)

// KeyAge says how old k is at now, when it is due and where it stands.
// Due is nil when no limit applies or the creation date is unknown.
func (p *Policy) KeyAge(k *Key, now time.Time) (AgeStatus, *time.Time) {
	if k.Retired != nil {
		return AgeRetired, nil
	}
	var limit time.Duration
	warn := DefaultWarn
	if p.Config != nil {
		role := ""
		owner := k.Owner
		if owner == "" && k.Kind == KindHost {
			owner = k.Name
		}
		if h := p.Config.Host(owner); h != nil {
			role = h.Role.Name
		}
		limit, _ = p.Config.Policy.Limit(k.Kind, role)
		warn = p.Config.Policy.Warn.D
	}
	switch {
	case limit == 0:
		return AgeNoLimit, nil
	case k.Created == nil:
		return AgeUnknown, nil
	}
	due := k.Created.Add(limit)
	switch {
	case !now.Before(due):
		return AgeOverdue, &due
	case !now.Before(due.Add(-warn)):
		return AgeDueSoon, &due
	}
	return AgeOK, &due
}

// GraceDays is how long 'keycycle init' gives an adopted repository
// whose keys are past the policy (policy.enforce_from).
const GraceDays = 30

// Overdue lists the keys in use that are past their maximum age at now.
func (p *Policy) Overdue(now time.Time) []*Key {
	var out []*Key
	if p.Keys == nil {
		return nil
	}
	for _, k := range p.Keys.Keys {
		if st, _ := p.KeyAge(k, now); st == AgeOverdue {
			out = append(out, k)
		}
	}
	return out
}
