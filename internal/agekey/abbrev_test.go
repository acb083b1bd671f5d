package agekey

import "testing"

func TestAbbrev(t *testing.T) {
	const r = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	for _, c := range []struct{ in, want string }{
		{r, "age1ql3z…ac8p"},
		{"7088C742B1B7A2A5D8F2E8E0A1B2C3D4E5F625E9", "7088C742…25E9"},
		{"age1short", "age1short"},
		{"1234567890123", "1234567890123"},
		{"12345678901234", "12345678…1234"},
		{"ä€ö€ü€ä€ö€ü€äß", "ä€ö€ü€ä€…ü€äß"},
	} {
		if got := Abbrev(c.in); got != c.want {
			t.Errorf("Abbrev(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A named key is abbreviated beside its names; an unknown one is whole.
func TestLabel(t *testing.T) {
	const r = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	if got, want := Label(r, "rain"), "rain (age1ql3z…ac8p)"; got != want {
		t.Errorf("Label named = %q, want %q", got, want)
	}
	if got, want := Label(r, "rain", "admin"), "rain, admin (age1ql3z…ac8p)"; got != want {
		t.Errorf("Label two names = %q, want %q", got, want)
	}
	if got := Label(r); got != r {
		t.Errorf("Label unknown = %q, want it whole", got)
	}
}
