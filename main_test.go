package main

import "testing"

func TestDBFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "none", args: nil, want: ""},
		{name: "separate", args: []string{"--db", "/tmp/ws.db"}, want: "/tmp/ws.db"},
		{name: "equals", args: []string{"-assetdir", "dist", "--db=ws.db"}, want: "ws.db"},
		{name: "single dash", args: []string{"-db", "a.db"}, want: "a.db"},
		{name: "missing value", args: []string{"--db"}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dbFlag(tc.args); got != tc.want {
				t.Errorf("dbFlag(%q) = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}
