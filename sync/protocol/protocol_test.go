package protocol

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

const goodPublish = `{"baseRevision":3,"bundle":{"root":"openapi.yaml","files":[
	{"path":"openapi.yaml","content":"openapi: 3.1.0\n"},
	{"path":"bin.dat","content":"AAH/","encoding":"base64"}],
	"settings":{"basePath":"/pets","upstream":{"targets":["http://127.0.0.1:9"]}}},
	"allowBreaking":true,"reason":"v2 cleanup"}`

func TestDecodePublishRequest(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"good", goodPublish, ""},
		{"unknown field", `{"baseRevision":0,"force":true,"bundle":{"root":"a","files":[{"path":"a","content":""}]}}`, "unknown field"},
		{"trailing data", `{"bundle":{"root":"a","files":[{"path":"a","content":""}]}} {}`, "after the JSON value"},
		{"negative base", `{"baseRevision":-1,"bundle":{"root":"a","files":[{"path":"a","content":""}]}}`, "must be 0 or more"},
		{"breaking without reason", `{"allowBreaking":true,"bundle":{"root":"a","files":[{"path":"a","content":""}]}}`, "needs a reason"},
		{"root missing", `{"bundle":{"root":"b","files":[{"path":"a","content":""}]}}`, "not among its files"},
		{"bad base64", `{"bundle":{"root":"a","files":[{"path":"a","content":"!!","encoding":"base64"}]}}`, "invalid base64"},
		{"unknown encoding", `{"bundle":{"root":"a","files":[{"path":"a","content":"","encoding":"gzip"}]}}`, "unknown encoding"},
		{"repeated file", `{"bundle":{"root":"a","files":[{"path":"a","content":""},{"path":"a","content":""}]}}`, "given twice"},
		{"not JSON", `publish please`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DecodePublishRequest(strings.NewReader(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				b, err := p.Bundle.ToStore()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b.Files[1].Content, []byte{0, 1, 0xff}) || p.Reason != "v2 cleanup" || p.BaseRevision != 3 {
					t.Errorf("decoded %+v", p)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestBundleRoundTrip(t *testing.T) {
	p, err := DecodePublishRequest(strings.NewReader(goodPublish))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := p.Bundle.ToStore()
	if err != nil {
		t.Fatal(err)
	}
	back := BundleFromStore(sb)
	if back.Files[0].Encoding != "" || back.Files[1].Encoding != "base64" {
		t.Errorf("encodings = %q, %q", back.Files[0].Encoding, back.Files[1].Encoding)
	}
	sb2, err := back.ToStore()
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := sb.Hash()
	h2, _ := sb2.Hash()
	if h1 != h2 {
		t.Error("hash changed over a round trip")
	}
}

func sampleFrames() []*Frame {
	api := APIState{Name: "pets", Revision: 2, Hash: "abc", State: "published",
		Bundle: &Bundle{Root: "a.yaml", Files: []File{{Path: "a.yaml", Content: "openapi: 3.1.0\ndata: x\n\nid: 3\n"}}}}
	return []*Frame{
		{Type: FrameSnapshot, Sequence: 7, Snapshot: &Snapshot{Catalog: "prod", APIs: []APIState{api},
			Consumers: []model.Consumer{{Name: "app", APIKeyHashes: []string{"sha256:00"}}}}},
		{Type: FrameSnapshot, Sequence: 7, Snapshot: &Snapshot{Catalog: "prod", APIs: []APIState{api},
			Cluster: &Cluster{Redis: "redis://:pw@redis.internal:6379/0", RedisFailClosed: true}}},
		{Type: FrameRevision, Sequence: 8, API: &api},
		{Type: FrameLifecycle, Sequence: 9, API: &APIState{Name: "pets", Revision: 2, State: "deprecated"}},
		{Type: FrameConsumers, Sequence: 10},
		{Type: FramePing, Sequence: 10},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(": a comment\n\n")
	frames := sampleFrames()
	for _, f := range frames {
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	fr := NewFrameReader(&buf)
	for i, want := range frames {
		got, err := fr.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Type != want.Type || got.Sequence != want.Sequence {
			t.Errorf("frame %d = %s@%d, want %s@%d", i, got.Type, got.Sequence, want.Type, want.Sequence)
		}
	}
	if fr.LastID != "10" {
		t.Errorf("LastID = %q", fr.LastID)
	}
	if _, err := fr.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v", err)
	}
}

func TestFrameReaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		wantErr string
	}{
		{"id mismatch", "id: 4\nevent: ping\ndata: {\"type\":\"ping\",\"sequence\":5}\n\n", "does not match"},
		{"event mismatch", "event: snapshot\ndata: {\"type\":\"ping\",\"sequence\":5}\n\n", "carries"},
		{"unknown type", "data: {\"type\":\"boom\",\"sequence\":5}\n\n", "unknown frame type"},
		{"snapshot without snapshot", "data: {\"type\":\"snapshot\",\"sequence\":5}\n\n", "without a snapshot"},
		{"revision without bundle", "data: {\"type\":\"revision\",\"sequence\":5,\"api\":{\"name\":\"x\",\"state\":\"published\"}}\n\n", "without a bundle"},
		{"truncated", "id: 5\ndata: {\"type\":\"ping\"", "unexpected EOF"},
		{"not JSON", "data: nope\n\n", "decoding"},
		{"CRLF lines work", "event: ping\r\ndata: {\"type\":\"ping\",\"sequence\":1}\r\n\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFrameReader(strings.NewReader(tt.stream)).Next()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodePublishRequest(f *testing.F) {
	f.Add([]byte(goodPublish))
	f.Add([]byte(`{"bundle":{"root":"a","files":[{"path":"a","content":"x"}]}}`))
	f.Add([]byte(`{"bundle":{"root":"a","files":[{"path":"a","content":"AA==","encoding":"base64"}],"settings":{"upstreams":{"b":{}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePublishRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Anything accepted converts and hashes, and survives a round trip unchanged.
		b, err := p.Bundle.ToStore()
		if err != nil {
			t.Fatalf("accepted request does not convert: %v", err)
		}
		h1, err := b.Hash()
		if err != nil {
			t.Fatalf("accepted request does not hash: %v", err)
		}
		b2, err := BundleFromStore(b).ToStore()
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if h2, _ := b2.Hash(); h1 != h2 {
			t.Fatal("hash changed over a round trip")
		}
	})
}

func FuzzFrameReader(f *testing.F) {
	var buf bytes.Buffer
	for _, fr := range sampleFrames() {
		_ = WriteFrame(&buf, fr)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("id: 1\r\nevent: ping\r\ndata: {\"type\":\"ping\",\"sequence\":1}\r\n\r\n"))
	f.Add([]byte(": c\n\ndata: {\"type\":\"consumers\",\n\ndata: \"sequence\":2}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFrameReader(bytes.NewReader(data))
		for range 1000 {
			got, err := fr.Next()
			if err != nil {
				return
			}
			// A decoded frame is valid and re-encodes to a stream that decodes to the same frame.
			if err := got.Validate(); err != nil {
				t.Fatalf("decoded an invalid frame: %v", err)
			}
			var out bytes.Buffer
			if err := WriteFrame(&out, got); err != nil {
				t.Fatal(err)
			}
			again, err := NewFrameReader(&out).Next()
			if err != nil {
				t.Fatalf("re-encoded frame does not decode: %v\n%s", err, out.Bytes())
			}
			if again.Type != got.Type || again.Sequence != got.Sequence {
				t.Fatalf("re-decoded %s@%d, want %s@%d", again.Type, again.Sequence, got.Type, got.Sequence)
			}
		}
	})
}
