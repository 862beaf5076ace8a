package lint

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Finding is one problem a rule found, with the place in the source files where the
// offending node really is (also when the rule saw it through a followed $ref).
type Finding struct {
	// Rule is the name of the rule that produced the finding, e.g. "operation-description".
	Rule string `json:"rule"`
	// Severity ranks the finding; the zero value is SeverityError.
	Severity Severity `json:"severity"`
	// Message describes the problem in one line.
	Message string `json:"message"`
	// File is the file holding the node, relative to the root document's folder with forward
	// slashes; "" when unknown.
	File string `json:"file"`
	// Line and Column are the 1-based start of the node (or of its key when the node is an
	// object or array that is a property value); 0 when unknown.
	Line   int `json:"line"`
	Column int `json:"column"`
	// EndLine and EndColumn are the 1-based position just after the highlighted text; they
	// equal Line and Column when the extent is unknown.
	EndLine   int `json:"endLine"`
	EndColumn int `json:"endColumn"`
	// Path is the JSONPath of the node within File, e.g. $.paths['/pets'].get; "$" is the
	// file's root.
	Path string `json:"path"`
}

// String formats f as "file:line:col severity rule message path".
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Location())
	b.WriteString(" ")
	b.WriteString(f.Severity.String())
	b.WriteString(" ")
	b.WriteString(f.Rule)
	b.WriteString(" ")
	b.WriteString(f.Message)
	if f.Path != "" {
		b.WriteString(" ")
		b.WriteString(f.Path)
	}
	return b.String()
}

// Location formats f's position as "file:line:col".
func (f Finding) Location() string {
	return f.File + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column)
}

// compareFindings orders findings by file, line, column, rule, message and path; the
// root document comes first among files.
func compareFindings(root string) func(a, b Finding) int {
	return func(a, b Finding) int {
		if a.File != b.File {
			if a.File == root {
				return -1
			}
			if b.File == root {
				return 1
			}
			return strings.Compare(a.File, b.File)
		}
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Column, b.Column); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Message, b.Message); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Severity, b.Severity)
	}
}

// sortFindings sorts fs deterministically and drops exact duplicates.
func sortFindings(root string, fs []Finding) []Finding {
	slices.SortFunc(fs, compareFindings(root))
	return slices.Compact(fs)
}

// Count tallies findings per severity.
type Count struct {
	// Errors, Warnings, Infos and Hints count the findings of each severity.
	Errors, Warnings, Infos, Hints int
}

// Total returns the number of findings counted.
func (c Count) Total() int { return c.Errors + c.Warnings + c.Infos + c.Hints }

// CountFindings tallies fs per severity.
func CountFindings(fs []Finding) Count {
	var c Count
	for _, f := range fs {
		switch f.Severity {
		case SeverityError:
			c.Errors++
		case SeverityWarn:
			c.Warnings++
		case SeverityInfo:
			c.Infos++
		default:
			c.Hints++
		}
	}
	return c
}

// AnyAtLeast reports whether some finding is as severe as min or more.
func AnyAtLeast(fs []Finding, min Severity) bool {
	for _, f := range fs {
		if f.Severity.AtLeast(min) {
			return true
		}
	}
	return false
}
