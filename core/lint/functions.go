package lint

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	yaml "github.com/pb33f/go-yaml"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// function is a rule function as Spectral defines them: it checks one target value and
// returns the problems it sees.
type function struct {
	name string
	// input, when set, tells whether the target has the type the function works on; other
	// targets are skipped silently (as Spectral's createRulesetFunction does).
	input func(t *target) bool
	// options validates and prepares functionOptions (o.n is nil when there are none); nil
	// means the function takes no options.
	options func(o rnode) (any, error)
	// run checks a target.
	run func(c *call, t *target, opts any) []result
}

// functions holds every function a ruleset can name.
var functions = functionTable(
	[]*function{
		{name: "alphabetical", input: isContainerTarget, options: alphabeticalOptions, run: alphabetical},
		{name: "casing", input: isNonEmptyStringTarget, options: casingOptions, run: casing},
		{name: "defined", run: defined},
		{name: "undefined", run: undefinedFn},
		{name: "truthy", run: truthyFn},
		{name: "falsy", run: falsyFn},
		{name: "enumeration", input: isPrimitiveTarget, options: enumerationOptions, run: enumeration},
		{name: "length", input: isLengthTarget, options: lengthOptions, run: length},
		{name: "pattern", input: isStringTarget, options: patternOptions, run: pattern},
		{name: "schema", options: schemaOptions, run: schemaFn},
		{name: "xor", input: isObjectTarget, options: propertiesOptions(2), run: xor},
		{name: "or", input: isObjectTarget, options: propertiesOptions(1), run: or},
		{name: "typedEnum", input: typedEnumInput, run: typedEnum},
		{name: "unreferencedReusableObject", input: isObjectTarget, options: unreferencedOptions, run: unreferencedReusableObject},
	},
	oasFunctions(),
)

// functionTable indexes function lists by name.
func functionTable(lists ...[]*function) map[string]*function {
	m := map[string]*function{}
	for _, l := range lists {
		for _, f := range l {
			m[f.name] = f
		}
	}
	return m
}

// FunctionNames returns the names of the functions rulesets can use, sorted.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Input checks.

func isStringTarget(t *target) bool { return t.isKey || isString(t.n) }

func isNonEmptyStringTarget(t *target) bool { return isStringTarget(t) && t.n.Value != "" }

func isObjectTarget(t *target) bool { return !t.isKey && isMap(t.n) }

func isContainerTarget(t *target) bool { return !t.isKey && (isMap(t.n) || isSeq(t.n)) }

func isPrimitiveTarget(t *target) bool { return t.n != nil && (t.isKey || isScalar(t.n)) }

func isLengthTarget(t *target) bool {
	return t.n != nil && (t.isKey || isMap(t.n) || isSeq(t.n) || isString(t.n) || isNumber(t.n))
}

// targetString returns the string value of a string target.
func targetString(t *target) string { return t.n.Value }

// msg builds a single result at the target.
func msg(m string) []result { return []result{{msg: m}} }

// Option helpers.

// noExtra checks an options object has only the given keys.
func optionsObject(o rnode, required bool, allowed ...string) error {
	if !o.present() {
		if required {
			return o.errorf("functionOptions are required")
		}
		return nil
	}
	return o.mapping(allowed...)
}

// defined, undefined, truthy, falsy.

func defined(_ *call, t *target, _ any) []result {
	if t.n == nil {
		return msg(`#{{print("property")}}must be defined`)
	}
	return nil
}

func undefinedFn(_ *call, t *target, _ any) []result {
	if t.n != nil {
		return msg(`#{{print("property")}}must be undefined`)
	}
	return nil
}

func truthyFn(_ *call, t *target, _ any) []result {
	if t.isKey && t.n.Value != "" || !t.isKey && truthy(t.n) {
		return nil
	}
	return msg(`#{{print("property")}}must be truthy`)
}

func falsyFn(_ *call, t *target, _ any) []result {
	if t.isKey && t.n.Value != "" || !t.isKey && truthy(t.n) {
		return msg(`#{{print("property")}}must be falsy`)
	}
	return nil
}

// alphabetical.

type alphabeticalOpts struct{ keyedBy string }

func alphabeticalOptions(o rnode) (any, error) {
	if err := optionsObject(o, false, "keyedBy"); err != nil {
		return nil, err
	}
	var opts alphabeticalOpts
	if k := o.child("keyedBy"); k.present() {
		s, err := k.str()
		if err != nil {
			return nil, err
		}
		opts.keyedBy = s
	}
	return &opts, nil
}

// collators holds English collators; a collator is not safe for concurrent use.
var collators = sync.Pool{New: func() any { return collate.New(language.English) }}

// jsCompare orders two values the way Spectral's alphabetical function does (numbers
// numerically, strings with localeCompare).
func jsCompare(a, b jsVal) int {
	numA := a.k == jsNum || math.IsNaN(a.toNumber())
	numB := b.k == jsNum || !math.IsNaN(b.toNumber())
	if numA && numB {
		d := a.toNumber() - b.toNumber()
		switch {
		case d > 0:
			return 1
		case d < 0:
			return -1
		}
		return 0
	}
	if a.k != jsStr || b.k != jsStr {
		return 0
	}
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	return c.CompareString(a.s, b.s)
}

func alphabetical(_ *call, t *target, opts any) []result {
	o := opts.(*alphabeticalOpts)
	var nodes []*yaml.Node // the node to blame for each value
	var vals []jsVal
	if isMap(t.n) {
		for i := 0; i+1 < len(t.n.Content); i += 2 {
			k := t.n.Content[i]
			nodes = append(nodes, k)
			if o.keyedBy != "" {
				v := deref(t.n.Content[i+1])
				if !isMap(v) {
					return msg(`#{{print("property")}}must be an object`)
				}
				vals = append(vals, valOf(get(v, o.keyedBy)))
			} else {
				vals = append(vals, jsVal{k: jsStr, s: k.Value})
			}
		}
	} else {
		for _, it := range t.n.Content {
			it = deref(it)
			nodes = append(nodes, it)
			if o.keyedBy != "" {
				if !isMap(it) {
					return msg(`#{{print("property")}}must be an object`)
				}
				vals = append(vals, valOf(get(it, o.keyedBy)))
			} else {
				vals = append(vals, valOf(it))
			}
		}
	}
	if len(vals) < 2 {
		return nil
	}
	for _, v := range vals {
		if v.k != jsStr && v.k != jsNum {
			return msg(`#{{print("property")}}must be one of the allowed types: number, string`)
		}
	}
	for i := 0; i+1 < len(vals); i++ {
		if jsCompare(vals[i], vals[i+1]) >= 1 {
			if o.keyedBy != "" {
				return msg("properties must follow the alphabetical order")
			}
			return []result{{
				msg: printJS(vals[i]) + " must be placed after " + printJS(vals[i+1]),
				n:   nodes[i],
			}}
		}
	}
	return nil
}

// printJS prints a jsVal as Spectral's printValue.
func printJS(v jsVal) string {
	switch v.k {
	case jsStr:
		return quote(v.s)
	case jsNum:
		return formatNumber(v.f)
	case jsBool:
		return strconv.FormatBool(v.b)
	case jsNull:
		return "null"
	case jsNode:
		return printValue(v.n)
	}
	return "undefined"
}

// casing.

type casingOpts struct {
	typ           string
	re            *regexp.Regexp
	allowLeading  bool
	separatorChar string
}

var casePatterns = map[string]string{
	"flat":   `[a-z][a-z{D}]*`,
	"camel":  `[a-z][a-z{D}]*(?:[A-Z{D}](?:[a-z{D}]+|$))*`,
	"pascal": `[A-Z][a-z{D}]*(?:[A-Z{D}](?:[a-z{D}]+|$))*`,
	"kebab":  `[a-z][a-z{D}]*(?:-[a-z{D}]+)*`,
	"cobol":  `[A-Z][A-Z{D}]*(?:-[A-Z{D}]+)*`,
	"snake":  `[a-z][a-z{D}]*(?:_[a-z{D}]+)*`,
	"macro":  `[A-Z][A-Z{D}]*(?:_[A-Z{D}]+)*`,
}

var caseNames = []string{"flat", "camel", "pascal", "kebab", "cobol", "snake", "macro"}

func casingOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "type", "disallowDigits", "separator"); err != nil {
		return nil, err
	}
	tf := o.child("type")
	if !tf.present() {
		return nil, o.errorf(`"casing" function needs a "type" option`)
	}
	typ, err := tf.str()
	if err != nil {
		return nil, err
	}
	base, ok := casePatterns[typ]
	if !ok {
		return nil, tf.valueErrorf(`"casing" function and its "type" option accept the following values: %s`, strings.Join(caseNames, ", "))
	}
	digits := "0-9"
	if d := o.child("disallowDigits"); d.present() {
		b, err := d.boolean()
		if err != nil {
			return nil, err
		}
		if b {
			digits = ""
		}
	}
	pat := strings.ReplaceAll(base, "{D}", digits)
	opts := &casingOpts{typ: typ}
	expr := "^" + pat + "$"
	if sep := o.child("separator"); sep.present() {
		if err := sep.mapping("char", "allowLeading"); err != nil {
			return nil, err
		}
		cf := sep.child("char")
		if !cf.present() {
			return nil, sep.errorf(`"separator" needs a "char"`)
		}
		ch, err := cf.str()
		if err != nil {
			return nil, err
		}
		if len([]rune(ch)) > 1 {
			return nil, cf.valueErrorf(`"casing" function and its "separator.char" option accepts only char, i.e. "I" or "/"`)
		}
		if al := sep.child("allowLeading"); al.present() {
			if opts.allowLeading, err = al.boolean(); err != nil {
				return nil, err
			}
		}
		opts.separatorChar = ch
		sepPat := "[" + regexp.QuoteMeta(ch) + "]"
		if ch == "" {
			sepPat = "(?:)"
		}
		lead := ""
		if opts.allowLeading {
			lead = sepPat + "?"
		}
		expr = "^" + lead + pat + "(?:" + sepPat + pat + ")*$"
	}
	if opts.re, err = regexp.Compile(expr); err != nil {
		return nil, o.errorf("cannot build the casing pattern: %v", err)
	}
	return opts, nil
}

func casing(_ *call, t *target, opts any) []result {
	o := opts.(*casingOpts)
	v := targetString(t)
	if o.allowLeading && o.separatorChar != "" && v == o.separatorChar {
		return nil
	}
	if o.re.MatchString(v) {
		return nil
	}
	return msg("must be " + o.typ + " case")
}

// enumeration.

type enumerationOpts struct {
	values []jsVal
	list   string
}

func enumerationOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "values"); err != nil {
		return nil, err
	}
	vf := o.child("values")
	if !vf.present() || !isSeq(vf.n) {
		return nil, o.errorf(`"enumeration" and its "values" option support only arrays of primitive values, i.e. ["Berlin", "London", "Paris"]`)
	}
	opts := &enumerationOpts{}
	var printed []string
	for _, it := range vf.items() {
		if !isScalar(it.n) {
			return nil, it.errorf(`"enumeration" and its "values" option support only arrays of primitive values, i.e. ["Berlin", "London", "Paris"]`)
		}
		v := valOf(it.n)
		opts.values = append(opts.values, v)
		printed = append(printed, printJS(v))
	}
	opts.list = strings.Join(printed, ", ")
	return opts, nil
}

func enumeration(_ *call, t *target, opts any) []result {
	o := opts.(*enumerationOpts)
	v := valOf(t.n)
	if t.isKey {
		v = jsVal{k: jsStr, s: t.n.Value}
	}
	for _, w := range o.values {
		if strictEqual(v, w) {
			return nil
		}
	}
	return msg(`#{{print("value")}} must be equal to one of the allowed values: ` + o.list)
}

// length.

type lengthOpts struct {
	min, max       float64
	hasMin, hasMax bool
}

func lengthOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "min", "max"); err != nil {
		return nil, err
	}
	opts := &lengthOpts{}
	if f := o.child("min"); f.present() {
		v, err := f.number()
		if err != nil {
			return nil, err
		}
		opts.min, opts.hasMin = v, true
	}
	if f := o.child("max"); f.present() {
		v, err := f.number()
		if err != nil {
			return nil, err
		}
		opts.max, opts.hasMax = v, true
	}
	if !opts.hasMin && !opts.hasMax {
		return nil, o.errorf(`"length" function has invalid options specified. Example valid options: { "min": 2 }, { "max": 5 }, { "min": 0, "max": 10 }`)
	}
	return opts, nil
}

func length(_ *call, t *target, opts any) []result {
	o := opts.(*lengthOpts)
	var v float64
	switch {
	case t.isKey || isString(t.n):
		v = float64(utf16Len(t.n.Value))
	case isMap(t.n):
		v = float64(len(t.n.Content) / 2)
	case isSeq(t.n):
		v = float64(len(t.n.Content))
	default:
		v, _ = num(t.n)
	}
	var out []result
	if o.hasMin && v < o.min {
		out = append(out, result{msg: `#{{print("property")}}must be longer than ` + formatNumber(o.min)})
	}
	if o.hasMax && v > o.max {
		out = append(out, result{msg: `#{{print("property")}}must be shorter than ` + formatNumber(o.max)})
	}
	return out
}

// pattern.

type patternOpts struct {
	match, notMatch       *regexp.Regexp
	matchSrc, notMatchSrc string
}

func patternOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "match", "notMatch"); err != nil {
		return nil, err
	}
	opts := &patternOpts{}
	for _, name := range []string{"match", "notMatch"} {
		f := o.child(name)
		if !f.present() {
			continue
		}
		s, err := f.str()
		if err != nil {
			return nil, f.errorf(`"pattern" function and its %q option must be string or RegExp instance`, name)
		}
		re, err := compileJSRegex(s)
		if err != nil {
			return nil, f.valueErrorf("%v", err)
		}
		if name == "match" {
			opts.match, opts.matchSrc = re, s
		} else {
			opts.notMatch, opts.notMatchSrc = re, s
		}
	}
	if opts.match == nil && opts.notMatch == nil {
		return nil, o.errorf(`"pattern" function has invalid options specified. Example valid options: { "match": "^Stoplight" }, { "notMatch": "Swagger" }, { "match": "Stoplight", "notMatch": "Swagger" }`)
	}
	return opts, nil
}

func pattern(_ *call, t *target, opts any) []result {
	o := opts.(*patternOpts)
	v := targetString(t)
	var out []result
	if o.match != nil && !o.match.MatchString(v) {
		out = append(out, result{msg: `#{{print("value")}} must match the pattern ` + quote(o.matchSrc)})
	}
	if o.notMatch != nil && o.notMatch.MatchString(v) {
		out = append(out, result{msg: `#{{print("value")}} must not match the pattern ` + quote(o.notMatchSrc)})
	}
	return out
}

// xor and or.

type propertiesOpts struct{ props []string }

func propertiesOptions(minItems int) func(o rnode) (any, error) {
	return func(o rnode) (any, error) {
		if err := optionsObject(o, true, "properties"); err != nil {
			return nil, err
		}
		pf := o.child("properties")
		if !pf.present() || !isSeq(pf.n) {
			return nil, o.errorf(`a "properties" option with a list of property names is required, i.e. ["id", "name"]`)
		}
		props, err := pf.strList()
		if err != nil {
			return nil, err
		}
		if len(props) < minItems {
			return nil, pf.errorf(`"properties" needs at least %d names`, minItems)
		}
		return &propertiesOpts{props: props}, nil
	}
}

// listProps prints names as `"a", "b" and "c"` with the given last conjunction.
func listProps(props []string, conj string) string {
	quoted := make([]string, len(props))
	for i, p := range props {
		quoted[i] = quote(p)
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " " + conj + " " + quoted[len(quoted)-1]
}

func xor(_ *call, t *target, opts any) []result {
	o := opts.(*propertiesOpts)
	n := 0
	for _, p := range o.props {
		if has(t.n, p) {
			n++
		}
	}
	if n != 1 {
		return msg(listProps(o.props, "and") + " must not be both defined or both undefined")
	}
	return nil
}

func or(_ *call, t *target, opts any) []result {
	o := opts.(*propertiesOpts)
	for _, p := range o.props {
		if has(t.n, p) {
			return nil
		}
	}
	return msg(listProps(o.props, "or") + " must be defined")
}

// typedEnum.

func typedEnumInput(t *target) bool {
	if !isObjectTarget(t) {
		return false
	}
	if !isSeq(get(t.n, "enum")) {
		return false
	}
	typ := get(t.n, "type")
	if isString(typ) {
		return true
	}
	if !isSeq(typ) {
		return false
	}
	for _, it := range typ.Content {
		if !isString(deref(it)) {
			return false
		}
	}
	return true
}

func typedEnum(c *call, t *target, _ any) []result {
	enum := get(t.n, "enum")
	typNode := get(t.n, "type")
	var types []string
	if isSeq(typNode) {
		for _, it := range typNode.Content {
			types = append(types, deref(it).Value)
		}
	} else {
		types = []string{typNode.Value}
	}
	nullable := false
	if v, ok := boolValue(get(t.n, "nullable")); ok && v && c.formats()&fmtOAS30 != 0 {
		nullable = true
	}
	if v, ok := boolValue(get(t.n, "x-nullable")); ok && v && c.formats()&fmtOAS2 != 0 {
		nullable = true
	}
	if nullable {
		types = append(types, "null")
	}
	checkInt := false
	for _, ty := range types {
		if ty == "integer" {
			checkInt = true
		}
	}
	printed := typNode.Value
	if isSeq(typNode) || nullable {
		printed = strings.Join(types, ",")
	}
	var out []result
	for _, it := range enum.Content {
		it = deref(it)
		vt := typeName(it)
		if vt == "integer" && !checkInt {
			vt = "number"
		}
		if vt == "number" && checkInt {
			if f, ok := num(it); ok && f == math.Trunc(f) {
				vt = "integer"
			}
		}
		ok := false
		for _, ty := range types {
			if ty == vt || ty == "number" && vt == "integer" && !checkInt {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, result{msg: "Enum value " + printValue(it) + ` must be "` + printed + `".`, n: it})
		}
	}
	return out
}

// unreferencedReusableObject.

type unreferencedOpts struct{ location string }

func unreferencedOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "reusableObjectsLocation"); err != nil {
		return nil, err
	}
	f := o.child("reusableObjectsLocation")
	if !f.present() {
		return nil, o.errorf(`"unreferencedReusableObject" function is missing "reusableObjectsLocation" option. Example valid options: { "reusableObjectsLocation": "#/components/schemas" }, { "reusableObjectsLocation": "#/$defs" }`)
	}
	s, err := f.str()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(s, "#") || len(s) > 1 && s[1] != '/' {
		return nil, f.valueErrorf(`"unreferencedReusableObject" and its "reusableObjectsLocation" option support only valid JSON Pointer fragments, i.e. "#", "#/foo", "#/paths/~1user"`)
	}
	return &unreferencedOpts{location: s}, nil
}

func unreferencedReusableObject(c *call, t *target, _ any) []result {
	return orphans(c, t.n)
}

// orphans reports the entries of mapping m that no $ref points at.
func orphans(c *call, m *yaml.Node) []result {
	targets := c.doc().refTargets()
	var out []result
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := deref(m.Content[i+1])
		if v == nil || targets[c.doc().original(v)] || targets[v] {
			continue
		}
		out = append(out, result{msg: "Potential orphaned reusable object has been detected", n: v})
	}
	return out
}
