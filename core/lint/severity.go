package lint

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity ranks a finding; the values are Spectral's (error 0, warn 1, info 2, hint 3), so a
// lower value is more severe. The zero value is SeverityError.
type Severity int

const (
	// SeverityError marks a problem that must be fixed.
	SeverityError Severity = iota
	// SeverityWarn marks a problem that should be fixed.
	SeverityWarn
	// SeverityInfo marks a remark worth reading.
	SeverityInfo
	// SeverityHint marks a suggestion.
	SeverityHint
)

// String returns "error", "warn", "info" or "hint".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarn:
		return "warn"
	case SeverityInfo:
		return "info"
	case SeverityHint:
		return "hint"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes s as its name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < SeverityError || s > SeverityHint {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name or number (see ParseSeverity); "off" is rejected.
func (s *Severity) UnmarshalText(b []byte) error {
	v, off, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	if off {
		return fmt.Errorf("severity %q is not a finding's severity", string(b))
	}
	*s = v
	return nil
}

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return s <= min }

// ParseSeverity reads a Spectral severity: "error", "warn" (or "warning"), "info"
// ("information"), "hint", or the numbers 0 to 3. off reports "off" (or -1), which disables a rule.
func ParseSeverity(s string) (sev Severity, off bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "0":
		return SeverityError, false, nil
	case "warn", "warning", "1":
		return SeverityWarn, false, nil
	case "info", "information", "2":
		return SeverityInfo, false, nil
	case "hint", "3":
		return SeverityHint, false, nil
	case "off", "-1":
		return 0, true, nil
	}
	return 0, false, fmt.Errorf("unknown severity %q: use error, warn, info, hint or off (or 0 to 3, -1)", s)
}
