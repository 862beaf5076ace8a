package auth

import (
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func TestNewConsumerSetRefuses(t *testing.T) {
	tests := []struct {
		name     string
		specs    []ConsumerSpec
		want     []string // all in the error
		notInErr string   // never in the error
	}{
		{"no name", []ConsumerSpec{{}}, []string{"consumer 0", "name is required"}, ""},
		{"name twice", []ConsumerSpec{{Name: "a"}, {Name: "a"}}, []string{`"a"`, "used twice"}, ""},
		{
			"key shared by two consumers",
			[]ConsumerSpec{{Name: "a", APIKeys: []string{"s3cret-key"}}, {Name: "b", APIKeys: []string{"x", "s3cret-key"}}},
			[]string{`consumer "b"`, `consumer "a"`, "API key 1", "API key 0"}, "s3cret-key",
		},
		{
			"key shared, once hashed",
			[]ConsumerSpec{{Name: "a", APIKeys: []string{HashAPIKey("s3cret-key")}}, {Name: "b", APIKeys: []string{"s3cret-key"}}},
			[]string{`consumer "b"`, `consumer "a"`}, "s3cret-key",
		},
		{"empty key", []ConsumerSpec{{Name: "a", APIKeys: []string{""}}}, []string{"API key 0", "empty"}, ""},
		{"malformed key hash", []ConsumerSpec{{Name: "a", APIKeys: []string{"sha256:abc"}}}, []string{"64 hex digits"}, ""},
		{"username missing", []ConsumerSpec{{Name: "a", Basic: []BasicCredential{{Password: "p"}}}}, []string{"username is required"}, ""},
		{"username with colon", []ConsumerSpec{{Name: "a", Basic: []BasicCredential{{Username: "a:b", Password: "p"}}}}, []string{"colon"}, ""},
		{"password missing", []ConsumerSpec{{Name: "a", Basic: []BasicCredential{{Username: "u"}}}}, []string{"password is required"}, ""},
		{"malformed password hash", []ConsumerSpec{{Name: "a", Basic: []BasicCredential{{Username: "u", Password: "sha256:zz:00"}}}}, []string{"hashed password"}, "zz"},
		{
			"username shared by two consumers",
			[]ConsumerSpec{{Name: "a", Basic: []BasicCredential{{Username: "u", Password: "p1"}}}, {Name: "b", Basic: []BasicCredential{{Username: "u", Password: "p2"}}}},
			[]string{`consumer "b"`, `consumer "a"`, `"u"`}, "p2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewConsumerSet(tt.specs)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
				t.Errorf("error %q reveals %q", err, tt.notInErr)
			}
		})
	}
}

func TestConsumerSetLookups(t *testing.T) {
	cs := testConsumers(t)
	// Rotation: one username may have several passwords within one consumer.
	rot, err := NewConsumerSet([]ConsumerSpec{{Name: "r", Basic: []BasicCredential{{Username: "u", Password: "old"}, {Username: "u", Password: "new"}}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lookup func() (string, bool)
		want   string
		wantOK bool
	}{
		{"plain key", func() (string, bool) { return name(cs.ByAPIKey("alice-key-2")) }, "alice", true},
		{"hashed key", func() (string, bool) { return name(cs.ByAPIKey("bob-key")) }, "bob", true},
		{"unknown key", func() (string, bool) { return name(cs.ByAPIKey("mallory")) }, "", false},
		{"hash is not the key", func() (string, bool) { return name(cs.ByAPIKey(HashAPIKey("bob-key"))) }, "", false},
		{"empty key", func() (string, bool) { return name(cs.ByAPIKey("")) }, "", false},
		{"plain password", func() (string, bool) { return name(cs.ByBasic("alice", "wonderland")) }, "alice", true},
		{"hashed password", func() (string, bool) { return name(cs.ByBasic("bob", "builder")) }, "bob", true},
		{"wrong password", func() (string, bool) { return name(cs.ByBasic("alice", "builder")) }, "", false},
		{"unknown user", func() (string, bool) { return name(cs.ByBasic("mallory", "wonderland")) }, "", false},
		{"rotated old password", func() (string, bool) { return name(rot.ByBasic("u", "old")) }, "r", true},
		{"rotated new password", func() (string, bool) { return name(rot.ByBasic("u", "new")) }, "r", true},
		{"by name", func() (string, bool) { return name(cs.ByName("carol")) }, "carol", true},
		{"unknown name", func() (string, bool) { return name(cs.ByName("dave")) }, "", false},
		{"nil set", func() (string, bool) { return name((*ConsumerSet)(nil).ByAPIKey("alice-key-1")) }, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.lookup()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if c, _ := cs.ByName("alice"); len(c.Groups) != 1 || c.Groups[0] != "gold" {
		t.Errorf("alice's groups = %v", c.Groups)
	}
}

func TestHashes(t *testing.T) {
	h := HashAPIKey("k")
	if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
		t.Errorf("HashAPIKey = %q", h)
	}
	p1, p2 := HashPassword("pw"), HashPassword("pw")
	if p1 == p2 {
		t.Error("HashPassword does not salt")
	}
	if parts := strings.Split(p1, ":"); len(parts) != 3 || parts[0] != "sha256" || len(parts[2]) != 64 {
		t.Errorf("HashPassword = %q", p1)
	}
}

func name(c *policy.Consumer, ok bool) (string, bool) {
	if !ok || c == nil {
		return "", ok
	}
	return c.Name, true
}
