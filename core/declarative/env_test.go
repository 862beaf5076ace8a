package declarative

import (
	"errors"
	"strings"
	"testing"
)

const envConfig = `apis:
  - name: petstore
    spec: "{{specDir}}/petstore.yaml"
    basePath: /petstore
    mode: proxy
    upstream:
      targets: [{url: "{{ upstream }}", weight: 1}]
    policies:
      jwt: {issuer: "{{issuer}}/realms/dev", keys: [{kid: k1, alg: HS256, secret: "{{jwtSecret}}"}]}
environments:
  - name: dev
    variables: {specDir: specs, upstream: "http://127.0.0.1:9001", issuer: "https://id.dev.test", jwtSecret: dev-secret-0123456789abcdef0123456789}
  - name: prod
    variables: {specDir: specs, upstream: "https://petstore.internal"}
`

func TestExpand(t *testing.T) {
	d, err := Parse("gantry.yaml", []byte(envConfig))
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Expand("dev")
	if err != nil {
		t.Fatal(err)
	}
	a := c.APIs[0]
	if a.Spec != "specs/petstore.yaml" || string(a.Upstream) != `{"targets":[{"url":"http://127.0.0.1:9001","weight":1}]}` {
		t.Errorf("expanded api = %+v, upstream %s", a, a.Upstream)
	}
	if s := string(a.Policies[0].Settings); !strings.Contains(s, `"issuer":"https://id.dev.test/realms/dev"`) || !strings.Contains(s, `"secret":"dev-secret-`) {
		t.Errorf("policy settings = %s", s)
	}
	if strings.Contains(string(d.Config.APIs[0].Upstream), "127.0.0.1") {
		t.Error("Expand changed the document's own configuration (it must stay exportable with its placeholders)")
	}

	tests := []struct {
		name, env, want string
	}{
		{"missing variable", "prod", `gantry.yaml:9:21: apis[0].policies.jwt.issuer: environment "prod" has no variable "issuer"`},
		{"no environment chosen", "", `apis[0].spec: uses {{specDir}}: choose an environment (--env NAME)`},
		{"unknown environment", "staging", `no environment is called "staging" (the file has: dev, prod)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Expand(tc.env)
			var ps Problems
			if !errors.As(err, &ps) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Expand(%q) = %v, want a problem containing %q", tc.env, err, tc.want)
			}
		})
	}
}
