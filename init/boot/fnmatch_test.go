package boot

import "testing"

func TestFnmatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", true},
		{"pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001001sv00001AF4sd00000001bc02sc00i00", false},
		{"pci:v*d*sv*sd*bc02sc00i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", true},
		{"pci:v*d*sv*sd*bc02sc00i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc03sc00i00", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"a**b", "ab", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyyd", false},
		{"?", "x", true},
		{"?", "", false},
		{"a?c", "abc", true},
		{"usb:v1234p5678d0[1-3]*dc*", "usb:v1234p5678d0200dc09", true},
		{"usb:v1234p5678d0[1-3]*dc*", "usb:v1234p5678d0400dc09", false},
		{"x[!0-9]y", "xay", true},
		{"x[!0-9]y", "x5y", false},
		{"x[^0-9]y", "x5y", false},
		{"x[]]y", "x]y", true},
		{"x[]a]y", "xay", true},
		{"x[!]]y", "x]y", false},
		{"x[a-]y", "x-y", true},
		{"x[[:digit:]]y", "x7y", true},
		{"x[[:digit:]]y", "xay", false},
		{"x[[:xdigit:][:upper:]]", "xF", true},
		{"x[[:xdigit:]]", "xg", false},
		{"x[ab", "x[ab", true}, // unterminated class is literal
		{"x[ab", "xa", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`x[\]]y`, "x]y", true},
		{"a*", "a/b/c", true}, // no FNM_PATHNAME: '*' crosses '/'
		{"cpu:type:x86,ven*fam*mod*:feature:*0081*", "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0081,0089", true},
		{"cpu:type:x86,ven*fam*mod*:feature:*0081*", "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0089", false},
	}
	for _, c := range cases {
		if got := fnmatch(c.p, c.s); got != c.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestNormalizeAlias(t *testing.T) {
	for in, want := range map[string]string{
		"fs-vfat":         "fs_vfat",
		"of:N*T*Cfoo-bar": "of:N*T*Cfoo_bar",
		"x[a-c]-y":        "x[a-c]_y",
	} {
		if got, ok := normalizeAlias(in); !ok || got != want {
			t.Errorf("normalizeAlias(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"x]", "x[ab"} {
		if _, ok := normalizeAlias(bad); ok {
			t.Errorf("normalizeAlias(%q) accepted a malformed alias", bad)
		}
	}
}

// A long modalias against a pattern full of stars must stay fast (no
// exponential backtracking).
func TestFnmatchPathological(t *testing.T) {
	p := "*a*a*a*a*a*a*a*a*a*a*a*a*b"
	s := ""
	for range 2000 {
		s += "a"
	}
	if fnmatch(p, s) {
		t.Fatal("matched without a b")
	}
}
