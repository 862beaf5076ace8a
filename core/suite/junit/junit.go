// Package junit writes test results as JUnit XML, the report format CI systems (GitHub
// Actions, GitLab, Jenkins, Azure Pipelines) read: <testsuites> holding one <testsuite> per
// API or suite, holding one <testcase> per operation or request, with <failure> and <error>
// elements for what went wrong.
//
// The types are plain data; Write fills in the counts and totals, so producers only list
// their cases.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Seconds is a duration written as seconds with millisecond precision ("0.125").
type Seconds time.Duration

// MarshalXMLAttr writes s as decimal seconds.
func (s Seconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: fmt.Sprintf("%.3f", time.Duration(s).Seconds())}, nil
}

// UnmarshalXMLAttr reads decimal seconds.
func (s *Seconds) UnmarshalXMLAttr(attr xml.Attr) error {
	f, err := strconv.ParseFloat(attr.Value, 64)
	if err != nil {
		return fmt.Errorf("time %q: %w", attr.Value, err)
	}
	*s = Seconds(time.Duration(f * float64(time.Second)))
	return nil
}

// TestSuites is the document root. The zero value is an empty report.
type TestSuites struct {
	// XMLName is the element name, <testsuites>.
	XMLName xml.Name `xml:"testsuites"`
	// Name names the whole run ("gantry test"); "" leaves the attribute out.
	Name string `xml:"name,attr,omitempty"`
	// Tests, Failures, Errors and Skipped are totals over Suites, computed by Write.
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	// Time is the total time, the sum over Suites unless set.
	Time Seconds `xml:"time,attr"`
	// Suites are the test suites in report order.
	Suites []TestSuite `xml:"testsuite"`
}

// TestSuite is one group of test cases: an API's contract tests or one saved suite.
type TestSuite struct {
	// Name names the suite ("contract: Swagger Petstore", "suite pets").
	Name string `xml:"name,attr"`
	// Tests, Failures, Errors and Skipped count Cases, computed by Write.
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	// Time is the suite's duration, the sum over Cases unless set.
	Time Seconds `xml:"time,attr"`
	// Timestamp is when the suite started, RFC 3339 without fractions; "" leaves it out.
	Timestamp string `xml:"timestamp,attr,omitempty"`
	// Properties are name/value facts about the run (target URL, seed); nil leaves them out.
	Properties []Property `xml:"-"`
	// PropertyList carries Properties in the XML; Write sets it.
	PropertyList *PropertyList `xml:"properties,omitempty"`
	// Cases are the test cases in order.
	Cases []TestCase `xml:"testcase"`
}

// PropertyList is the <properties> element.
type PropertyList struct {
	// Properties are its <property> elements.
	Properties []Property `xml:"property"`
}

// Property is one name/value fact about a suite.
type Property struct {
	// Name is the property's name.
	Name string `xml:"name,attr"`
	// Value is its value.
	Value string `xml:"value,attr"`
}

// TestCase is one operation or request.
type TestCase struct {
	// Name names the case ("GET /pets (listPets)", "01-login").
	Name string `xml:"name,attr"`
	// Classname groups cases in CI views; usually the suite's name.
	Classname string `xml:"classname,attr"`
	// Time is how long the case took.
	Time Seconds `xml:"time,attr"`
	// File is the source file of a saved request; "" leaves it out.
	File string `xml:"file,attr,omitempty"`
	// Line is the line in File; 0 leaves it out.
	Line int `xml:"line,attr,omitempty"`
	// Failure is set when an expectation did not hold; nil means none.
	Failure *Failure `xml:"failure,omitempty"`
	// Error is set when the case could not run (the request could not be sent); nil means none.
	Error *Failure `xml:"error,omitempty"`
	// Skipped is set when the case was not run; nil means it ran.
	Skipped *Skip `xml:"skipped,omitempty"`
	// SystemOut is extra text for the reader (the requests sent); "" leaves it out.
	SystemOut string `xml:"-"`
	// SystemOutText carries SystemOut in the XML; Write sets it.
	SystemOutText *Text `xml:"system-out,omitempty"`
}

// Failure is a <failure> or <error> element: a one-line message and the details.
type Failure struct {
	// Message is a one-line summary.
	Message string `xml:"message,attr"`
	// Type classifies the failure ("status", "assertion", "transport"); "" leaves it out.
	Type string `xml:"type,attr,omitempty"`
	// Text holds the details, one finding per line.
	Text string `xml:",cdata"`
}

// Text is an element holding only text, written as CDATA.
type Text struct {
	// Text is the element's content.
	Text string `xml:",cdata"`
}

// Skip is a <skipped> element.
type Skip struct {
	// Message says why the case was skipped; "" leaves it out.
	Message string `xml:"message,attr,omitempty"`
}

// Finish computes every count and the totals of ts in place.
func (ts *TestSuites) Finish() {
	ts.Tests, ts.Failures, ts.Errors, ts.Skipped = 0, 0, 0, 0
	var total time.Duration
	for i := range ts.Suites {
		s := &ts.Suites[i]
		s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
		s.PropertyList = nil
		if len(s.Properties) > 0 {
			s.PropertyList = &PropertyList{Properties: s.Properties}
		}
		var sum time.Duration
		for _, c := range s.Cases {
			switch {
			case c.Error != nil:
				s.Errors++
			case c.Failure != nil:
				s.Failures++
			case c.Skipped != nil:
				s.Skipped++
			}
			sum += time.Duration(c.Time)
		}
		if s.Time == 0 {
			s.Time = Seconds(sum)
		}
		ts.Tests += s.Tests
		ts.Failures += s.Failures
		ts.Errors += s.Errors
		ts.Skipped += s.Skipped
		total += time.Duration(s.Time)
	}
	if ts.Time == 0 {
		ts.Time = Seconds(total)
	}
}

// Write computes the counts of ts (see Finish) and writes it as an indented XML document.
// Characters XML cannot carry (control characters, invalid UTF-8, as in a quoted response
// body) are written as U+FFFD.
func Write(w io.Writer, ts *TestSuites) error {
	ts.Finish()
	for i := range ts.Suites {
		for j := range ts.Suites[i].Cases {
			c := &ts.Suites[i].Cases[j]
			c.SystemOutText = nil
			if c.SystemOut != "" {
				c.SystemOutText = &Text{Text: cdataText(c.SystemOut)}
			}
			for _, f := range []*Failure{c.Failure, c.Error} {
				if f != nil {
					f.Text = cdataText(f.Text)
				}
			}
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(ts); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// cdataText replaces what a CDATA section cannot carry: characters XML 1.0 does not allow
// (control characters, invalid UTF-8) become U+FFFD. The encoder splits "]]>" itself.
func cdataText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 {
			return r
		}
		return '\uFFFD'
	}, s)
}
