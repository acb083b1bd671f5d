package inventory

import (
	"time"

	"github.com/keycycle/keycycle/internal/policy"
)

// AddAges fills each key's creation date, due date, age status and kind
// (when keys.yaml gives one) from
// the repository's policy (keycycle.yaml and .keycycle/keys.yaml) as of
// now. Keys .keycycle/keys.yaml does not list keep an empty status.
func AddAges(inv *Inventory, pol *policy.Policy, now time.Time) {
	if pol == nil || pol.Keys == nil {
		return
	}
	for _, k := range inv.Keys {
		rec := pol.Keys.ByRecipient(k.Recipient)
		if rec == nil {
			continue
		}
		k.Created = rec.Created
		k.Age, k.Due = pol.KeyAge(rec, now)
		if rec.Kind != "" && rec.Kind != policy.KindUnknown {
			// keys.yaml says what the key is: inventory agrees with it.
			k.Kind = Kind(rec.Kind)
		}
	}
}
