package protocol

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestSnapshotClusterRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		cluster *Cluster
	}{
		{"without cluster", nil},
		{"redis", &Cluster{Redis: "redis://redis.internal:6379/0"}},
		{"redis fail closed", &Cluster{Redis: "rediss://:secret@redis.internal:6380/2", RedisFailClosed: true}},
		{"unix socket", &Cluster{Redis: "unix:///run/redis.sock"}},
		{"empty", &Cluster{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Frame{Type: FrameSnapshot, Sequence: 3, Snapshot: &Snapshot{Catalog: "prod", Cluster: tt.cluster}}
			var buf bytes.Buffer
			if err := WriteFrame(&buf, in); err != nil {
				t.Fatal(err)
			}
			if tt.cluster == nil && strings.Contains(buf.String(), "cluster") {
				t.Errorf("a snapshot without cluster settings mentions them: %s", buf.String())
			}
			got, err := NewFrameReader(&buf).Next()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Snapshot.Cluster, tt.cluster) {
				t.Errorf("cluster = %+v, want %+v", got.Snapshot.Cluster, tt.cluster)
			}
		})
	}
}

func TestSnapshotClusterRejected(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		wantErr string
	}{
		{"fail closed without redis", `{"redisFailClosed":true}`, "redisFailClosed without redis"},
		{"not a URL", `{"redis":"redis://[::1"}`, "redis is not a URL"},
		{"no scheme", `{"redis":"redis.internal:6379"}`, "scheme"},
		{"http", `{"redis":"http://redis.internal:6379"}`, `scheme "http"`},
		{"wrong type", `{"redis":6379}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := `data: {"type":"snapshot","sequence":1,"snapshot":{"catalog":"prod","apis":[],"consumers":[],"cluster":` + tt.cluster + "}}\n\n"
			_, err := NewFrameReader(strings.NewReader(stream)).Next()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestClusterFingerprint(t *testing.T) {
	a := &Cluster{Redis: "redis://a:6379"}
	tests := []struct {
		name string
		c    *Cluster
		same *Cluster // nil: compared with a
		want bool
	}{
		{"nil is none", nil, &Cluster{}, true},
		{"equal settings", &Cluster{Redis: "redis://a:6379"}, nil, true},
		{"other URL", &Cluster{Redis: "redis://b:6379"}, nil, false},
		{"fail closed differs", &Cluster{Redis: "redis://a:6379", RedisFailClosed: true}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := tt.same
			if other == nil {
				other = a
			}
			if got := tt.c.Fingerprint() == other.Fingerprint(); got != tt.want {
				t.Errorf("%+v vs %+v: equal fingerprints = %v, want %v", tt.c, other, got, tt.want)
			}
		})
	}
	if (*Cluster)(nil).Fingerprint() != "" || a.Fingerprint() == "" {
		t.Error("no settings must give \"\", settings a fingerprint")
	}
}
