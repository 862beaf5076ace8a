package builtin

import "github.com/gantry-dev/gantry/embedded-gateway/policy"

// Field kinds of a policy setting, as a settings form shows them.
const (
	// KindString is a line of text.
	KindString = "string"
	// KindInteger is a whole number.
	KindInteger = "integer"
	// KindBoolean is true or false.
	KindBoolean = "boolean"
	// KindDuration is a duration written like "30s" or "1m".
	KindDuration = "duration"
	// KindEnum is one of Field.Options.
	KindEnum = "enum"
	// KindList is a list of strings.
	KindList = "list"
	// KindMap is an object of string values (header names to values, say).
	KindMap = "map"
	// KindJSON is any other JSON value, edited as JSON text.
	KindJSON = "json"
)

// Field describes one setting of a policy: enough to build a form; the policy's factory
// stays the judge of what is valid.
type Field struct {
	// Name is the setting's key in the policy's settings object.
	Name string `json:"name"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Options are the allowed values of a KindEnum field; nil otherwise.
	Options []string `json:"options,omitempty"`
	// Required reports whether the policy refuses settings without it.
	Required bool `json:"required,omitempty"`
	// Description says what the setting does and what leaving it out means.
	Description string `json:"description"`
	// Example is a typical value, as JSON; "" means none.
	Example string `json:"example,omitempty"`
}

// Spec describes a built-in policy for a settings form.
type Spec struct {
	// Name is the policy's registered name.
	Name string `json:"name"`
	// Phase is where it runs in the chain (see policy.Phase).
	Phase policy.Phase `json:"phase"`
	// Title is a short human name ("API key").
	Title string `json:"title"`
	// Description says what the policy does.
	Description string `json:"description"`
	// Fields are its settings in the order a form shows them.
	Fields []Field `json:"fields"`
}

// Specs describes every built-in policy that Registry registers, in phase order.
func Specs() []Spec {
	return []Spec{
		{Name: "ipRestriction", Phase: policy.PhaseAccess, Title: "IP allow/deny", Description: "Refuses clients by address (403); deny wins over allow.", Fields: []Field{
			{Name: "allow", Kind: KindList, Description: "CIDR ranges or addresses allowed; empty allows every address not denied.", Example: `["10.0.0.0/8"]`},
			{Name: "deny", Kind: KindList, Description: "CIDR ranges or addresses refused.", Example: `["10.0.0.66"]`},
			{Name: "trustedProxies", Kind: KindList, Description: "Proxies whose X-Forwarded-For is believed; empty trusts none.", Example: `["127.0.0.1/32"]`},
		}},
		{Name: "cors", Phase: policy.PhaseCORS, Title: "CORS", Description: "Answers preflights (204) and adds CORS headers for allowed origins.", Fields: []Field{
			{Name: "allowOrigins", Kind: KindList, Description: `Origins allowed ("https://*.example.com" matches subdomains, "*" any).`, Example: `["https://app.example.com"]`},
			{Name: "allowMethods", Kind: KindList, Description: "Methods allowed; empty means the usual ones.", Example: `["GET","POST"]`},
			{Name: "allowHeaders", Kind: KindList, Description: "Request headers allowed; empty reflects what the preflight asks for.", Example: `["Authorization"]`},
			{Name: "exposeHeaders", Kind: KindList, Description: "Response headers scripts may read.", Example: `["X-Request-Id"]`},
			{Name: "allowCredentials", Kind: KindBoolean, Description: "Allow cookies and credentials."},
			{Name: "maxAge", Kind: KindDuration, Description: "How long browsers cache a preflight.", Example: `"10m"`},
			{Name: "privateNetwork", Kind: KindBoolean, Description: "Answer private-network preflights."},
		}},
		{Name: "requestSize", Phase: policy.PhaseLimits, Title: "Request size limit", Description: "Refuses bodies over maxBytes (413) before anything reads them.", Fields: []Field{
			{Name: "maxBytes", Kind: KindInteger, Required: true, Description: "Largest body accepted, in bytes.", Example: `1048576`},
		}},
		{Name: "keyAuth", Phase: policy.PhaseAuthenticate, Title: "API key", Description: "Requires an API key a consumer owns (401 otherwise).", Fields: []Field{
			{Name: "in", Kind: KindEnum, Options: []string{"header", "query"}, Description: `Where the key is sent; default "header".`},
			{Name: "name", Kind: KindString, Description: `The header or query parameter carrying the key; default "apikey".`, Example: `"X-API-Key"`},
			{Name: "hideCredentials", Kind: KindBoolean, Description: "Remove the key before forwarding; default true."},
		}},
		{Name: "basicAuth", Phase: policy.PhaseAuthenticate, Title: "Basic auth", Description: "Requires HTTP Basic credentials a consumer owns.", Fields: []Field{
			{Name: "realm", Kind: KindString, Description: "Realm named in the challenge; default the API's name."},
			{Name: "hideCredentials", Kind: KindBoolean, Description: "Remove the Authorization header before forwarding; default true."},
		}},
		{Name: "jwt", Phase: policy.PhaseAuthenticate, Title: "JWT", Description: "Requires a signed JSON Web Token (Bearer).", Fields: []Field{
			{Name: "issuer", Kind: KindString, Description: "Required iss claim; empty accepts any issuer.", Example: `"https://issuer.example.com"`},
			{Name: "audiences", Kind: KindList, Description: "Accepted aud values; empty does not check the audience."},
			{Name: "algorithms", Kind: KindList, Description: "Accepted signing algorithms; empty means those of the keys."},
			{Name: "jwksUrl", Kind: KindString, Description: "JSON Web Key Set to fetch keys from."},
			{Name: "keys", Kind: KindJSON, Description: "Inline keys: [{kid, alg, secret | publicKey}].", Example: `[{"kid":"k1","alg":"HS256","secret":"change-me"}]`},
			{Name: "jwksRefresh", Kind: KindDuration, Description: "How often the key set is fetched again."},
			{Name: "clockSkew", Kind: KindDuration, Description: "Leeway on exp and nbf.", Example: `"30s"`},
			{Name: "consumerClaim", Kind: KindString, Description: `Claim naming the consumer; default "sub".`},
			{Name: "header", Kind: KindString, Description: "Header carrying the token; default Authorization (Bearer)."},
			{Name: "query", Kind: KindString, Description: "Query parameter carrying the token instead."},
			{Name: "requireConsumer", Kind: KindBoolean, Description: "Refuse tokens whose subject is no configured consumer."},
		}},
		{Name: "introspection", Phase: policy.PhaseAuthenticate, Title: "Token introspection", Description: "Checks opaque tokens with an RFC 7662 endpoint.", Fields: []Field{
			{Name: "url", Kind: KindString, Required: true, Description: "The introspection endpoint.", Example: `"https://auth.example.com/introspect"`},
			{Name: "clientId", Kind: KindString, Description: "Client the gateway authenticates as."},
			{Name: "clientSecret", Kind: KindString, Description: "Secret of clientId."},
			{Name: "cacheTtl", Kind: KindDuration, Description: "How long answers are reused; default 60s."},
			{Name: "consumerField", Kind: KindString, Description: `Member naming the consumer; default "client_id".`},
			{Name: "timeout", Kind: KindDuration, Description: "Time allowed per introspection call."},
		}},
		{Name: "mtls", Phase: policy.PhaseAuthenticate, Title: "Client certificates", Description: "Requires a client certificate the listener verified.", Fields: []Field{
			{Name: "consumerFrom", Kind: KindEnum, Options: []string{"cn", "san"}, Description: `Which name of the certificate names the consumer; default "cn".`},
			{Name: "requireConsumer", Kind: KindBoolean, Description: "Refuse certificates that name no configured consumer."},
		}},
		{Name: "rateLimit", Phase: policy.PhaseRateLimit, Title: "Rate limit", Description: "Limits requests per window (429 with Retry-After).", Fields: []Field{
			{Name: "requests", Kind: KindInteger, Required: true, Description: "Requests allowed per window.", Example: `100`},
			{Name: "window", Kind: KindDuration, Required: true, Description: "The window.", Example: `"1m"`},
			{Name: "burst", Kind: KindInteger, Description: "Requests allowed at once; default requests."},
			{Name: "by", Kind: KindEnum, Options: []string{"consumer", "key", "ip", "route"}, Description: "What is counted; default consumer (else the client's address)."},
			{Name: "trustedProxies", Kind: KindList, Description: "Proxies whose X-Forwarded-For names the client counted by address; empty trusts none.", Example: `["10.0.0.0/8"]`},
			{Name: "headers", Kind: KindBoolean, Description: "Send the RateLimit headers; default true."},
			{Name: "name", Kind: KindString, Description: "Shares the counters of policies with the same name."},
		}},
		{Name: "quota", Phase: policy.PhaseRateLimit, Title: "Quota", Description: "Limits requests per UTC day or month.", Fields: []Field{
			{Name: "requests", Kind: KindInteger, Required: true, Description: "Requests allowed per period.", Example: `10000`},
			{Name: "period", Kind: KindEnum, Options: []string{"day", "month"}, Required: true, Description: "The calendar period."},
			{Name: "by", Kind: KindEnum, Options: []string{"consumer", "key", "ip", "route"}, Description: "What is counted; default consumer."},
			{Name: "trustedProxies", Kind: KindList, Description: "Proxies whose X-Forwarded-For names the client counted by address; empty trusts none.", Example: `["10.0.0.0/8"]`},
			{Name: "headers", Kind: KindBoolean, Description: "Send the RateLimit headers; default true."},
			{Name: "name", Kind: KindString, Description: "Shares the counters of policies with the same name."},
		}},
		{Name: "requestHeaders", Phase: policy.PhaseTransform, Title: "Request headers", Description: "Sets, adds, removes or renames request headers.", Fields: headerFields()},
		{Name: "responseHeaders", Phase: policy.PhaseTransform, Title: "Response headers", Description: "Sets, adds, removes or renames response headers.", Fields: headerFields()},
		{Name: "requestBody", Phase: policy.PhaseTransform, Title: "Request body", Description: "Sets, removes or renames JSON members of the request body by JSON Pointer.", Fields: bodyFields()},
		{Name: "responseBody", Phase: policy.PhaseTransform, Title: "Response body", Description: "Sets, removes or renames JSON members of the response body by JSON Pointer.", Fields: bodyFields()},
		{Name: "cache", Phase: policy.PhaseCache, Title: "Cache", Description: "Caches GET and HEAD answers (X-Cache: HIT or MISS).", Fields: []Field{
			{Name: "ttl", Kind: KindDuration, Description: "How long answers without cache headers are kept.", Example: `"30s"`},
			{Name: "maxEntries", Kind: KindInteger, Description: "Most answers kept.", Example: `1000`},
			{Name: "maxBodyBytes", Kind: KindInteger, Description: "Largest body cached, in bytes."},
			{Name: "maxTotalBytes", Kind: KindInteger, Description: "Most bytes kept in all."},
			{Name: "varyHeaders", Kind: KindList, Description: "Request headers that make separate entries."},
		}},
		{Name: "routing", Phase: policy.PhaseRoute, Title: "Routing", Description: "Picks a named upstream by header, query or method.", Fields: []Field{
			{Name: "rules", Kind: KindJSON, Description: "Rules tried in order: [{match: {method, headers, query}, upstream}].", Example: `[{"match":{"headers":{"X-Version":"2"}},"upstream":"v2"}]`},
			{Name: "default", Kind: KindString, Description: "Upstream when no rule matches."},
		}},
	}
}

func headerFields() []Field {
	return []Field{
		{Name: "set", Kind: KindMap, Description: `Headers to set, replacing others of the name ("$(consumer)" is the consumer).`, Example: `{"X-Consumer":"$(consumer)"}`},
		{Name: "add", Kind: KindMap, Description: "Headers to add beside existing ones."},
		{Name: "remove", Kind: KindList, Description: "Headers to remove.", Example: `["Cookie"]`},
		{Name: "rename", Kind: KindMap, Description: "Headers to rename (old name to new name)."},
	}
}

func bodyFields() []Field {
	return []Field{
		{Name: "set", Kind: KindJSON, Description: "JSON Pointers to the values to set.", Example: `{"/source":"gateway"}`},
		{Name: "remove", Kind: KindList, Description: "JSON Pointers of members to remove.", Example: `["/internal"]`},
		{Name: "rename", Kind: KindMap, Description: "JSON Pointers to rename (old to new)."},
		{Name: "maxBytes", Kind: KindInteger, Description: "Largest body transformed, in bytes."},
	}
}
