package policy

import (
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

// AsOf reads --as-of, the time key ages are measured at: a date or an
// RFC 3339 time (ParseTime); "" is now.
func AsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, textutil.Hintf("write --as-of 2026-01-01 or an RFC 3339 time", "--as-of: %v", err)
	}
	return t, nil
}
