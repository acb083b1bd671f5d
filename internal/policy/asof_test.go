package policy

import (
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

func TestAsOf(t *testing.T) {
	if got, err := AsOf("2026-01-01"); err != nil || !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date: %v %v", got, err)
	}
	if got, err := AsOf(""); err != nil || time.Since(got) > time.Hour {
		t.Errorf("now: %v %v", got, err)
	}
	if _, err := AsOf("tomorrow"); textutil.HintOf(err) == "" {
		t.Errorf("a bad date: %v, want an error with a hint", err)
	}
}
