package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// Formats accepted by Write.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// Write writes findings in the named format: FormatText, FormatJSON or FormatSARIF. rs and
// version describe the tool for SARIF (rs may be nil).
func Write(w io.Writer, format string, fs []Finding, rs *Ruleset, version string) error {
	switch format {
	case FormatText, "":
		return WriteText(w, fs)
	case FormatJSON:
		return WriteJSON(w, fs)
	case FormatSARIF:
		return WriteSARIF(w, fs, rs, version)
	}
	return fmt.Errorf("unknown output format %q: use text, json or sarif", format)
}

// WriteText writes one finding per line as "file:line:col  severity  rule  message  path",
// columns aligned, followed by a summary line.
func WriteText(w io.Writer, fs []Finding) error {
	locW, sevW, ruleW := 0, 0, 0
	for _, f := range fs {
		locW = max(locW, len(f.Location()))
		sevW = max(sevW, len(f.Severity.String()))
		ruleW = max(ruleW, len(f.Rule))
	}
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(pad(f.Location(), locW))
		b.WriteString("  ")
		b.WriteString(pad(f.Severity.String(), sevW))
		b.WriteString("  ")
		b.WriteString(pad(f.Rule, ruleW))
		b.WriteString("  ")
		b.WriteString(strings.ReplaceAll(f.Message, "\n", " "))
		if f.Path != "" {
			b.WriteString("  ")
			b.WriteString(f.Path)
		}
		b.WriteByte('\n')
	}
	b.WriteString(Summary(fs))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// pad right-pads s with spaces to width n.
func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// Summary returns a one-line tally such as "3 problems (1 error, 2 warnings, 0 infos, 0 hints)".
func Summary(fs []Finding) string {
	c := CountFindings(fs)
	if c.Total() == 0 {
		return "No problems found."
	}
	return fmt.Sprintf("%d problem%s (%d error%s, %d warning%s, %d info%s, %d hint%s)",
		c.Total(), plural(c.Total()), c.Errors, plural(c.Errors), c.Warnings, plural(c.Warnings),
		c.Infos, plural(c.Infos), c.Hints, plural(c.Hints))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteJSON writes the findings as a JSON array (an empty array when there are none).
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(fs)
}

// SARIF 2.1.0 log types (the subset Gantry writes).
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		ShortDescription     sarifText       `json:"shortDescription"`
		HelpURI              string          `json:"helpUri,omitempty"`
		DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
		Properties           map[string]any  `json:"properties,omitempty"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical  `json:"physicalLocation"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine"`
		EndColumn   int `json:"endColumn"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
)

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarn:
		return "warning"
	}
	return "note"
}

// builtinRuleText describes the findings that do not come from a ruleset rule.
var builtinRuleText = map[string]string{
	"parser":              "The document must parse as YAML or JSON without duplicate keys.",
	"invalid-ref":         "Every $ref must point at something that exists.",
	"unrecognized-format": "The document must be an OpenAPI 2.0 or 3.x description.",
}

// WriteSARIF writes a SARIF 2.1.0 log with one run: tool.driver.rules lists the ruleset's
// enabled rules (and any other rule a finding names), results point at the file and region
// of each finding.
func WriteSARIF(w io.Writer, fs []Finding, rs *Ruleset, version string) error {
	rules := map[string]sarifRule{}
	if rs != nil {
		for _, r := range rs.Enabled() {
			text := r.Description
			if text == "" {
				text = r.Message
			}
			if text == "" {
				text = r.Name
			}
			rules[r.Name] = sarifRule{
				ID:                   r.Name,
				ShortDescription:     sarifText{Text: text},
				HelpURI:              r.DocumentationURL,
				DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(r.Severity)},
				Properties:           map[string]any{"recommended": r.Recommended},
			}
		}
	}
	for _, f := range fs {
		if _, ok := rules[f.Rule]; ok {
			continue
		}
		text := builtinRuleText[f.Rule]
		if text == "" {
			text = f.Rule
		}
		rules[f.Rule] = sarifRule{ID: f.Rule, ShortDescription: sarifText{Text: text}, DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(f.Severity)}}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	index := map[string]int{}
	driver := sarifDriver{Name: "gantry", Version: version, Rules: make([]sarifRule, 0, len(ids))}
	for i, id := range ids {
		index[id] = i
		driver.Rules = append(driver.Rules, rules[id])
	}
	results := make([]sarifResult, 0, len(fs))
	for _, f := range fs {
		line, col := max(f.Line, 1), max(f.Column, 1)
		endLine, endCol := max(f.EndLine, line), f.EndColumn
		if endLine == line && endCol < col {
			endCol = col
		}
		endCol = max(endCol, 1)
		loc := sarifLocation{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: fileURI(f.File)},
			Region:           sarifRegion{StartLine: line, StartColumn: col, EndLine: endLine, EndColumn: endCol},
		}}
		if f.Path != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Path, Kind: "member"}}
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message: sarifText{Text: f.Message}, Locations: []sarifLocation{loc},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// fileURI turns a slash path into a relative URI reference.
func fileURI(p string) string {
	u := url.URL{Path: strings.ReplaceAll(p, "\\", "/")}
	return u.String()
}
