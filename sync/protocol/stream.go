package protocol

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// Frame types of the feed.
const (
	// FrameSnapshot carries a catalog's whole state.
	FrameSnapshot = "snapshot"
	// FrameRevision carries an API's new current revision.
	FrameRevision = "revision"
	// FrameLifecycle carries an API's new lifecycle state.
	FrameLifecycle = "lifecycle"
	// FrameConsumers carries the catalog's whole consumer list.
	FrameConsumers = "consumers"
	// FramePing keeps an idle stream alive; it changes nothing.
	FramePing = "ping"
)

// MaxFrameBytes bounds one frame's data.
const MaxFrameBytes = 256 << 20

// APIState is one API as the gateways serve it.
type APIState struct {
	// Name is the API's name in the catalog.
	Name string `json:"name"`
	// Revision is the current revision number.
	Revision int64 `json:"revision"`
	// Hash is the current revision's bundle hash.
	Hash string `json:"hash"`
	// State is "published", "deprecated" or "retired".
	State string `json:"state"`
	// DeprecatedAt is when the API was deprecated (the Deprecation header); nil if not.
	DeprecatedAt *time.Time `json:"deprecatedAt,omitempty"`
	// Sunset is the announced retirement (the Sunset header); nil if none.
	Sunset *time.Time `json:"sunset,omitempty"`
	// Bundle is the current revision's content; nil in lifecycle frames.
	Bundle *Bundle `json:"bundle,omitempty"`
}

// Snapshot is a catalog's whole state at one sequence.
type Snapshot struct {
	// Catalog is the catalog's name.
	Catalog string `json:"catalog"`
	// BaseURL is where the catalog's gateways serve; "" if not set.
	BaseURL string `json:"baseUrl,omitempty"`
	// APIs are the catalog's APIs ordered by name.
	APIs []APIState `json:"apis"`
	// Consumers are the catalog's consumers with hashed keys.
	Consumers []model.Consumer `json:"consumers"`
	// Cluster is what the management server tells its nodes about the cluster (the Redis
	// they share counters through); nil if it tells nothing.
	Cluster *Cluster `json:"cluster,omitempty"`
}

// Cluster is the management server's settings for the gateway nodes of every catalog.
type Cluster struct {
	// Redis is the URL (redis://, rediss:// or unix://) of the Redis that nodes without a
	// Redis of their own share rate-limit and quota counters through; "" for none.
	Redis string `json:"redis,omitempty"`
	// RedisFailClosed makes those nodes refuse rate-limited requests (503) while Redis is
	// unreachable instead of limiting them per node.
	RedisFailClosed bool `json:"redisFailClosed,omitempty"`
}

// ClusterHeader is the request header in which a node resuming its feed names the
// Fingerprint of the cluster settings it has; a server whose settings differ answers with
// a snapshot instead of the missed events, since events do not carry the settings.
const ClusterHeader = "Gantry-Cluster"

// Fingerprint identifies the cluster settings: "" for none (nil or zero), else the hex
// SHA-256 of their JSON.
func (c *Cluster) Fingerprint() string {
	if c == nil || *c == (Cluster{}) {
		return ""
	}
	b, _ := json.Marshal(c) // plain strings and bools: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Validate checks the cluster settings: Redis is "" or a redis://, rediss:// or unix://
// URL, and RedisFailClosed is set only with a Redis.
func (c *Cluster) Validate() error {
	if c.Redis == "" {
		if c.RedisFailClosed {
			return errors.New("cluster: redisFailClosed without redis")
		}
		return nil
	}
	u, err := url.Parse(c.Redis)
	if err != nil {
		return errors.New("cluster: redis is not a URL") // the URL may hold a password: not repeated
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return fmt.Errorf("cluster: redis URL scheme %q, want redis, rediss or unix", u.Scheme)
	}
	return nil
}

// Frame is one event of the feed.
type Frame struct {
	// Type is one of the Frame constants.
	Type string `json:"type"`
	// Sequence is the catalog sequence after this frame is applied.
	Sequence int64 `json:"sequence"`
	// Snapshot is set in FrameSnapshot.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// API is set in FrameRevision (with its bundle) and FrameLifecycle (without).
	API *APIState `json:"api,omitempty"`
	// Consumers is set in FrameConsumers.
	Consumers []model.Consumer `json:"consumers,omitempty"`
}

// Validate checks that the frame carries what its type needs.
func (f *Frame) Validate() error {
	if f.Sequence < 0 {
		return fmt.Errorf("frame sequence %d", f.Sequence)
	}
	switch f.Type {
	case FrameSnapshot:
		if f.Snapshot == nil {
			return errors.New("snapshot frame without a snapshot")
		}
		if c := f.Snapshot.Cluster; c != nil {
			if err := c.Validate(); err != nil {
				return err
			}
		}
		for i := range f.Snapshot.APIs {
			if err := f.Snapshot.APIs[i].validate(true); err != nil {
				return err
			}
		}
	case FrameRevision:
		if f.API == nil {
			return errors.New("revision frame without an API")
		}
		return f.API.validate(true)
	case FrameLifecycle:
		if f.API == nil {
			return errors.New("lifecycle frame without an API")
		}
		return f.API.validate(false)
	case FrameConsumers, FramePing:
	default:
		return fmt.Errorf("unknown frame type %q", f.Type)
	}
	return nil
}

func (a *APIState) validate(needBundle bool) error {
	if a.Name == "" {
		return errors.New("API without a name")
	}
	switch a.State {
	case "published", "deprecated", "retired":
	default:
		return fmt.Errorf("API %q: unknown state %q", a.Name, a.State)
	}
	if needBundle {
		if a.Bundle == nil {
			return fmt.Errorf("API %q without a bundle", a.Name)
		}
		if _, err := a.Bundle.ToStore(); err != nil {
			return fmt.Errorf("API %q: %w", a.Name, err)
		}
	}
	return nil
}

// WriteFrame writes f as one Server-Sent Event: "id" is the sequence, "event" the type,
// "data" the frame as one line of JSON.
func WriteFrame(w io.Writer, f *Frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding %s frame: %w", f.Type, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + 64)
	fmt.Fprintf(&buf, "id: %d\nevent: %s\ndata: ", f.Sequence, f.Type)
	buf.Write(b)
	buf.WriteString("\n\n")
	_, err = w.Write(buf.Bytes())
	return err
}

// FrameReader decodes the frames of an SSE stream.
type FrameReader struct {
	r *bufio.Reader
	// LastID is the last event ID seen ("" before any), what a reconnect sends as Last-Event-ID.
	LastID string
}

// NewFrameReader returns a reader of the SSE stream r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next frame. Comments and events without data are skipped; unknown
// fields are ignored as SSE requires. It returns io.EOF at the end of the stream and an
// error for a malformed frame (the stream cannot be trusted after one).
func (fr *FrameReader) Next() (*Frame, error) {
	var data bytes.Buffer
	var event, id string
	hasData := false
	for {
		line, err := fr.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && hasData {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if line == "" { // dispatch
			if !hasData {
				event, id = "", ""
				continue
			}
			if id != "" {
				fr.LastID = id
			}
			return decodeFrame(event, id, data.Bytes())
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			event = value
		case "id":
			if !strings.ContainsRune(value, 0) {
				id = value
			}
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			if data.Len()+len(value) > MaxFrameBytes {
				return nil, fmt.Errorf("frame larger than %d bytes", MaxFrameBytes)
			}
			data.WriteString(value)
			hasData = true
		}
	}
}

// readLine reads one line without its terminator (LF, CRLF or CR as SSE allows; a CR
// alone ends a line only when not followed by LF).
func (fr *FrameReader) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := fr.r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > MaxFrameBytes {
			return "", fmt.Errorf("line longer than %d bytes", MaxFrameBytes)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(b) == 0 {
			return "", err
		}
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// decodeFrame decodes one event's data and checks it against its SSE event and id.
func decodeFrame(event, id string, data []byte) (*Frame, error) {
	var f Frame
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding %q frame: %w", event, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding %q frame: data after the JSON value", event)
	}
	if event != "" && event != f.Type {
		return nil, fmt.Errorf("event %q carries a %q frame", event, f.Type)
	}
	if id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n != f.Sequence {
			return nil, fmt.Errorf("event id %q does not match frame sequence %d", id, f.Sequence)
		}
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("invalid %q frame: %w", f.Type, err)
	}
	return &f, nil
}
