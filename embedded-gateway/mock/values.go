package mock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Object is a generated JSON object that keeps its keys in schema order.
type Object struct {
	keys []string
	vals map[string]any
}

// Keys returns the property names in order.
func (o *Object) Keys() []string { return o.keys }

// Get returns the value of property k and whether it is set.
func (o *Object) Get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// Len returns the number of properties.
func (o *Object) Len() int { return len(o.keys) }

func (o *Object) set(k string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// MarshalJSON writes o with its keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ---- numbers ----

func (c *genCtx) genNumber(s *apidef.Schema, integer bool) (any, error) {
	lo, hi := math.Inf(-1), math.Inf(1)
	loEx, hiEx := false, false
	if s.Minimum != nil {
		lo = *s.Minimum
	}
	if s.ExclusiveMinimum != nil && *s.ExclusiveMinimum >= lo {
		lo, loEx = *s.ExclusiveMinimum, true
	}
	if s.Maximum != nil {
		hi = *s.Maximum
	}
	if s.ExclusiveMaximum != nil && *s.ExclusiveMaximum <= hi {
		hi, hiEx = *s.ExclusiveMaximum, true
	}
	switch s.Format {
	case "int32":
		lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
	case "int64":
		lo, hi = math.Max(lo, -(1<<53)), math.Min(hi, 1<<53)
	case "float":
		lo, hi = math.Max(lo, -math.MaxFloat32), math.Min(hi, math.MaxFloat32)
	}
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		return c.genMultiple(*s.MultipleOf, lo, hi, loEx, hiEx, integer)
	}
	if integer {
		ilo, ihi := math.Ceil(lo), math.Floor(hi)
		if loEx && ilo == lo {
			ilo++
		}
		if hiEx && ihi == hi {
			ihi--
		}
		if ilo > ihi {
			return nil, fmt.Errorf("no integer in the bounds")
		}
		return formatInt(c.pickIn(ilo, ihi, true)), nil
	}
	if lo > hi || (lo == hi && (loEx || hiEx)) {
		return nil, fmt.Errorf("no number in the bounds")
	}
	v := c.pickIn(lo, hi, false)
	if (loEx && v <= lo) || (hiEx && v >= hi) {
		switch {
		case !math.IsInf(lo, 0) && !math.IsInf(hi, 0):
			v = lo + (hi-lo)/2
		case loEx:
			v = lo + math.Max(1, math.Abs(lo)*1e-9)
		default:
			v = hi - math.Max(1, math.Abs(hi)*1e-9)
		}
		if v <= lo && loEx || v >= hi && hiEx {
			return nil, fmt.Errorf("no number strictly inside (%g, %g)", lo, hi)
		}
	}
	return json.Number(strconv.FormatFloat(v, 'f', -1, 64)), nil
}

// pickIn picks a value in [lo, hi]: the value nearest 0 in static mode, else a random one
// close to the lower bound (or to 0 when unbounded).
func (c *genCtx) pickIn(lo, hi float64, integer bool) float64 {
	base := 0.0
	if base < lo {
		base = lo
	}
	if base > hi {
		base = hi
	}
	if c.static {
		if integer {
			return math.Ceil(base)
		}
		return base
	}
	a, b := math.Max(lo, base-100), math.Min(hi, base+1000)
	if math.IsInf(a, -1) {
		a = b - 1000
	}
	if math.IsInf(b, 1) {
		b = a + 1000
	}
	if integer {
		a, b = math.Ceil(a), math.Floor(b)
		if b <= a {
			return a
		}
		span := b - a
		if span > 1<<50 {
			span = 1 << 50
		}
		return a + float64(c.rng.Int64N(int64(span)+1))
	}
	v := a + c.rng.Float64()*(b-a)
	return math.Round(v*100) / 100
}

func formatInt(v float64) json.Number {
	if math.Abs(v) < 1<<62 {
		return json.Number(strconv.FormatInt(int64(v), 10))
	}
	return json.Number(strconv.FormatFloat(v, 'f', 0, 64))
}

// genMultiple picks k*m inside the bounds, written with as many decimals as m has.
func (c *genCtx) genMultiple(m, lo, hi float64, loEx, hiEx, integer bool) (any, error) {
	decimals := 0
	if ms := strconv.FormatFloat(m, 'f', -1, 64); strings.Contains(ms, ".") {
		decimals = len(ms) - strings.Index(ms, ".") - 1
	}
	step := 1.0
	if integer && decimals > 0 {
		// k*m is an integer only when k is a multiple of 10^decimals / gcd.
		scale := math.Pow(10, float64(decimals))
		num := math.Round(m * scale)
		step = scale / gcd(num, scale)
	}
	klo, khi := math.Ceil(lo/m), math.Floor(hi/m)
	if loEx && klo*m <= lo {
		klo++
	}
	if hiEx && khi*m >= hi {
		khi--
	}
	klo = math.Ceil(klo/step) * step
	khi = math.Floor(khi/step) * step
	if math.IsInf(klo, -1) {
		klo = math.Min(0, khi)
	}
	if klo > khi {
		return nil, fmt.Errorf("no multiple of %g in the bounds", m)
	}
	k := klo
	if k < 0 && khi >= 0 {
		k = 0
	}
	if !c.static {
		n := math.Min((khi-k)/step, 20)
		if n >= 1 {
			k += float64(c.rng.IntN(int(n)+1)) * step
		}
	}
	v := k * m
	if integer || decimals == 0 {
		return formatInt(math.Round(v)), nil
	}
	return json.Number(strconv.FormatFloat(v, 'f', decimals, 64)), nil
}

func gcd(a, b float64) float64 {
	for b != 0 {
		a, b = b, math.Mod(a, b)
	}
	if a == 0 {
		return 1
	}
	return a
}

// ---- strings ----

func (c *genCtx) genString(f *flat) (any, error) {
	s := &f.s
	minLen, maxLen := 0, -1
	if s.MinLength != nil {
		minLen = *s.MinLength
	}
	if s.MaxLength != nil {
		maxLen = *s.MaxLength
	}
	if maxLen >= 0 && minLen > maxLen {
		return nil, fmt.Errorf("minLength %d exceeds maxLength %d", minLen, maxLen)
	}
	if len(f.patterns) > 0 {
		return c.genPatterns(f.patterns, minLen, maxLen)
	}
	if v, ok := c.formatValue(s.Format); ok {
		return fitLength(v, s.Format, minLen, maxLen)
	}
	base := "string"
	if !c.static {
		base = c.word()
	}
	return fitLength(base, "", minLen, maxLen)
}

// genPatterns generates a string matching every pattern: each pattern in turn is used as the
// generator and the candidates are checked against the others.
func (c *genCtx) genPatterns(patterns []string, minLen, maxLen int) (string, error) {
	var last error
	for i, src := range patterns {
		p, err := c.g.pattern(src)
		if err != nil {
			return "", err
		}
		for try := 0; try < 6; try++ {
			out, err := p.generate(c.rng, c.static && try == 0, minLen, maxLen)
			if err != nil {
				return "", err
			}
			ok := true
			for j, other := range patterns {
				if j == i {
					continue
				}
				if q, err := c.g.pattern(other); err == nil && !q.re.MatchString(out) {
					ok = false
					last = fmt.Errorf("no string found matching both %q and %q", src, other)
					break
				}
			}
			if ok {
				return out, nil
			}
			if len(patterns) == 1 {
				break
			}
		}
	}
	return "", last
}

var errLength = errors.New("the format's value does not fit minLength/maxLength")

// fitLength pads or cuts v to the length bounds; formatted values are only padded where the
// format allows it.
func fitLength(v, format string, minLen, maxLen int) (string, error) {
	n := utf8.RuneCountInString(v)
	if n < minLen {
		pad := strings.Repeat("x", minLen-n)
		switch format {
		case "":
			v += pad
		case "email", "idn-email":
			at := strings.IndexByte(v, '@')
			v = v[:at] + pad + v[at:]
		case "hostname", "idn-hostname":
			v = pad + v
			if i := strings.IndexByte(v, '.'); i > 63 {
				v = strings.Repeat("x", 63) + "." + pad[:len(pad)-63+1] + v[i:]
			}
		case "uri", "url", "iri", "uri-reference", "iri-reference", "password", "binary", "uri-template":
			v += pad
		default:
			return "", errLength
		}
	}
	if maxLen >= 0 && utf8.RuneCountInString(v) > maxLen {
		if format != "" && format != "password" && format != "binary" {
			return "", errLength
		}
		r := []rune(v)
		v = string(r[:maxLen])
	}
	return v, nil
}

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"}

func (c *genCtx) word() string { return words[c.rng.IntN(len(words))] }

// formatValue returns a value for a known string format.
func (c *genCtx) formatValue(format string) (string, bool) {
	st := c.static
	ts := time.Date(2019, 8, 24, 14, 15, 22, 0, time.UTC)
	if !st {
		ts = time.Date(2000+c.rng.IntN(30), time.Month(1+c.rng.IntN(12)), 1+c.rng.IntN(28), c.rng.IntN(24), c.rng.IntN(60), c.rng.IntN(60), 0, time.UTC)
	}
	n := func(max int) int {
		if st {
			return 1
		}
		return c.rng.IntN(max)
	}
	switch format {
	case "date-time":
		return ts.Format(time.RFC3339), true
	case "date":
		return ts.Format("2006-01-02"), true
	case "time":
		return ts.Format("15:04:05Z"), true
	case "email", "idn-email":
		if st {
			return "user@example.com", true
		}
		return c.word() + "@example.com", true
	case "hostname", "idn-hostname":
		if st {
			return "example.com", true
		}
		return c.word() + ".example.com", true
	case "ipv4":
		if st {
			return "192.168.0.1", true
		}
		return fmt.Sprintf("10.%d.%d.%d", n(256), n(256), 1+n(254)), true
	case "ipv6":
		if st {
			return "2001:db8::1", true
		}
		return fmt.Sprintf("2001:db8::%x:%x", n(65536), 1+n(65535)), true
	case "uri", "url", "iri":
		if st {
			return "https://example.com/", true
		}
		return "https://example.com/" + c.word(), true
	case "uri-reference", "iri-reference":
		if st {
			return "/path", true
		}
		return "/" + c.word(), true
	case "uri-template":
		return "https://example.com/{id}", true
	case "uuid":
		if st {
			return "095be615-a8ad-4c33-8e9c-c7612fbf6c9f", true
		}
		var b [16]byte
		for i := range b {
			b[i] = byte(c.rng.IntN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), true
	case "byte":
		if st {
			return base64.StdEncoding.EncodeToString([]byte("string")), true
		}
		return base64.StdEncoding.EncodeToString([]byte(c.word())), true
	case "binary":
		return "string", true
	case "password":
		if st {
			return "pa$$word", true
		}
		return "pa$$" + c.word(), true
	case "duration":
		if st {
			return "P3D", true
		}
		return fmt.Sprintf("P%dDT%dH", 1+n(30), n(24)), true
	case "json-pointer":
		return "/path/0", true
	case "relative-json-pointer":
		return "0/path", true
	case "regex":
		return "^[a-z]+$", true
	}
	return "", false
}

// pattern returns the compiled pattern for src, cached.
func (g *Generator) pattern(src string) (*pattern, error) {
	if v, ok := g.patterns.Load(src); ok {
		if err, bad := v.(error); bad {
			return nil, err
		}
		return v.(*pattern), nil
	}
	p, err := compilePattern(src)
	if err != nil {
		g.patterns.Store(src, err)
		return nil, err
	}
	g.patterns.Store(src, p)
	return p, nil
}

// ---- arrays ----

func (c *genCtx) genArray(f *flat, depth int) (any, error) {
	s := &f.s
	min, max := 0, -1
	if s.MinItems != nil {
		min = *s.MinItems
	}
	if s.MaxItems != nil {
		max = *s.MaxItems
	}
	itemsFalse := s.Items != nil && s.Items.Bool != nil && !*s.Items.Bool
	if itemsFalse && (max < 0 || max > len(s.PrefixItems)) {
		max = len(s.PrefixItems)
	}
	if max >= 0 && min > max {
		return nil, fmt.Errorf("minItems %d exceeds maxItems %d", min, max)
	}
	n := min
	deep := depth >= c.opts.MaxDepth || c.nodes > maxNodes
	if !deep {
		want := 1
		if !c.static {
			want = 1 + c.rng.IntN(3)
		}
		if want > n {
			n = want
		}
		if max >= 0 && n > max {
			n = max
		}
	}
	if n > 1000 {
		return nil, fmt.Errorf("minItems %d is too large to generate", min)
	}
	out := make([]any, 0, n)
	var seen map[string]bool
	if s.UniqueItems {
		seen = map[string]bool{}
	}
	for i := 0; i < n; i++ {
		var item *apidef.Schema
		if i < len(s.PrefixItems) {
			item = s.PrefixItems[i]
		} else {
			item = s.Items
		}
		var v any
		var err error
		for try := 0; ; try++ {
			sub := c
			if seen != nil && (i > 0 || try > 0) {
				// vary the items: static choices would repeat the same value
				cp := *c
				cp.static, cp.useExamples = false, false
				sub = &cp
			}
			v, err = sub.gen(item, depth+1)
			if err != nil {
				break
			}
			if seen == nil {
				break
			}
			b, _ := json.Marshal(v)
			if !seen[string(canonical(b))] {
				seen[string(canonical(b))] = true
				break
			}
			if try >= 20 {
				err = errors.New("cannot generate enough unique items")
				break
			}
		}
		if err != nil {
			if i >= min && i >= len(s.PrefixItems) {
				break // optional items may be left out
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// canonical re-encodes a JSON document with sorted keys so equal values compare equal.
func canonical(b []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

// ---- objects ----

func (c *genCtx) genObject(f *flat, depth int) (any, error) {
	s := &f.s
	deep := depth >= c.opts.MaxDepth || c.nodes > maxNodes
	maxProps := -1
	if s.MaxProperties != nil {
		maxProps = *s.MaxProperties
	}
	minProps := 0
	if s.MinProperties != nil {
		minProps = *s.MinProperties
	}
	obj := &Object{}
	disc := s.Discriminator
	discValue := ""
	if disc != nil && disc.PropertyName != "" {
		discValue = discriminatorValue(disc, f.name)
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	order := propertyOrder(s)
	// Required properties first, in document order, then the ones not declared in properties.
	add := func(name string, ps *apidef.Schema, mustHave bool) error {
		if discValue != "" && name == disc.PropertyName {
			if v, ok := c.discriminatorFits(ps, discValue); ok {
				obj.set(name, v)
				return nil
			}
		}
		v, err := c.gen(ps, depth+1)
		if err != nil {
			if mustHave {
				return fmt.Errorf("property %q: %w", name, err)
			}
			return nil
		}
		obj.set(name, v)
		return nil
	}
	for _, name := range order {
		if required[name] {
			if err := add(name, s.Properties[name], true); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range s.Required {
		if _, declared := s.Properties[name]; !declared {
			if f.closed != nil && !f.closed[name] {
				return nil, fmt.Errorf("required property %q is not allowed", name)
			}
			if err := add(name, extraSchema(s), true); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range order {
		if required[name] || (f.closed != nil && !f.closed[name]) {
			continue
		}
		if maxProps >= 0 && obj.Len() >= maxProps {
			break
		}
		ps := s.Properties[name]
		if ps != nil && ps.Bool != nil && !*ps.Bool {
			continue
		}
		need := obj.Len() < minProps
		if !need {
			if deep || c.optional == optNone {
				continue
			}
			if c.skipForDirection(ps) {
				continue
			}
			if c.optional == optDefault && !c.static && c.rng.IntN(10) < 4 && !(discValue != "" && name == disc.PropertyName) {
				continue
			}
		}
		if err := add(name, ps, false); err != nil {
			return nil, err
		}
	}
	// Additional properties: to reach minProperties, or as a sample when the schema is a map.
	ap := s.AdditionalProperties
	apAllowed := f.closed == nil && !(ap != nil && ap.Bool != nil && !*ap.Bool)
	extra := 0
	if apAllowed && ap != nil && ap.Bool == nil && len(s.Properties) == 0 && !deep {
		extra = 1
		if !c.static {
			extra = c.rng.IntN(3)
		}
	}
	for i := 1; apAllowed && (obj.Len() < minProps || extra > 0) && i <= 1000; i++ {
		if maxProps >= 0 && obj.Len() >= maxProps {
			break
		}
		name := "additionalProp" + strconv.Itoa(i)
		if _, declared := s.Properties[name]; declared {
			continue
		}
		if _, set := obj.vals[name]; set {
			continue
		}
		v, err := c.gen(extraSchema(s), depth+1)
		if err != nil {
			return nil, fmt.Errorf("additional property: %w", err)
		}
		obj.set(name, v)
		extra--
	}
	if obj.Len() < minProps {
		return nil, fmt.Errorf("cannot reach minProperties %d", minProps)
	}
	return obj, nil
}

// extraSchema is the schema of properties not declared in s (nil: any value).
func extraSchema(s *apidef.Schema) *apidef.Schema {
	if s.AdditionalProperties != nil && s.AdditionalProperties.Bool == nil {
		return s.AdditionalProperties
	}
	return &apidef.Schema{Type: []string{"string"}}
}

// skipForDirection reports whether an optional property is left out for the direction.
func (c *genCtx) skipForDirection(ps *apidef.Schema) bool {
	if ps == nil {
		return false
	}
	pf := c.g.flatten(ps)
	if c.opts.Direction == Request {
		return pf.s.ReadOnly
	}
	return pf.s.WriteOnly
}

// discriminatorValue is the mapping key that selects schema name, or the name itself.
func discriminatorValue(d *apidef.Discriminator, name string) string {
	if name == "" {
		return ""
	}
	best := ""
	for k, v := range d.Mapping {
		if v == apidef.SchemaRefPrefix+name || v == name || strings.HasSuffix(v, "/"+name) {
			if best == "" || k < best {
				best = k
			}
		}
	}
	if best != "" {
		return best
	}
	return name
}

// discriminatorFits returns the discriminator value as the property's value if the property's
// schema obviously accepts it (a string without const, or whose enum lists it).
func (c *genCtx) discriminatorFits(ps *apidef.Schema, value string) (any, bool) {
	pf := c.g.flatten(ps)
	raw, _ := json.Marshal(value)
	if !typeAllows(pf.s.Type, raw) {
		return nil, false
	}
	if pf.s.Const != nil {
		return nil, false
	}
	if len(pf.s.Enum) > 0 {
		for _, e := range pf.s.Enum {
			if jsonEqual(e, raw) {
				return value, true
			}
		}
		return nil, false
	}
	if len(pf.patterns) > 0 {
		for _, p := range pf.patterns {
			q, err := c.g.pattern(p)
			if err != nil || !q.re.MatchString(value) {
				return nil, false
			}
		}
	}
	return value, true
}
