package sqlite

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/internal/proccpu"
)

var benchWords = strings.Fields(`the droplet identifier returns list of resources volume snapshot region size image
	name created response request unique string integer object array account project firewall load balancer
	kubernetes cluster node pool database replica tag domain record certificate key vpc app deployment alert
	policy monitoring metric billing invoice balance action page per links meta total`)

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = benchWords[r.Intn(len(benchWords))]
	}
	return strings.Join(w, " ")
}

// fakeCompiled returns a JSON document of at least size bytes shaped like a compiled API
// definition (operations with parameters and responses, named object schemas with described
// properties). It compresses about as well as a real one (4-5x with DEFLATE at BestSpeed).
func fakeCompiled(size int) []byte {
	r := rand.New(rand.NewSource(1))
	type schema struct {
		Type        string             `json:"type"`
		Description string             `json:"description,omitempty"`
		Properties  map[string]*schema `json:"properties,omitempty"`
		Required    []string           `json:"required,omitempty"`
		Example     any                `json:"example,omitempty"`
		Ref         string             `json:"$ref,omitempty"`
	}
	type param struct {
		Name     string  `json:"name"`
		In       string  `json:"in"`
		Required bool    `json:"required,omitempty"`
		Schema   *schema `json:"schema"`
	}
	type op struct {
		ID          string             `json:"id"`
		Method      string             `json:"method"`
		Path        string             `json:"path"`
		Summary     string             `json:"summary"`
		Description string             `json:"description"`
		Tags        []string           `json:"tags"`
		Parameters  []param            `json:"parameters"`
		Responses   map[string]*schema `json:"responses"`
	}
	doc := struct {
		Title      string             `json:"title"`
		Operations []op               `json:"operations"`
		Schemas    map[string]*schema `json:"schemas"`
	}{Title: "Synthetic", Schemas: map[string]*schema{}}
	for total := 0; total < size; {
		i := len(doc.Operations)
		name := fmt.Sprintf("%s_%s_%d", benchWords[r.Intn(len(benchWords))], benchWords[r.Intn(len(benchWords))], i)
		s := &schema{Type: "object", Description: sentence(r, 12), Properties: map[string]*schema{}, Required: []string{"id"}}
		for j := range 10 {
			s.Properties[fmt.Sprintf("%s_%d", benchWords[r.Intn(len(benchWords))], j)] = &schema{
				Type: []string{"string", "integer", "boolean"}[r.Intn(3)], Description: sentence(r, 8+r.Intn(16)),
				Example: sentence(r, 2)}
		}
		doc.Schemas[name] = s
		o := op{
			ID: "op_" + name, Method: []string{"GET", "POST", "PUT", "DELETE"}[i%4],
			Path:    fmt.Sprintf("/v2/%s/{id}/%s", benchWords[r.Intn(len(benchWords))], benchWords[r.Intn(len(benchWords))]),
			Summary: sentence(r, 6), Description: sentence(r, 40), Tags: []string{benchWords[r.Intn(len(benchWords))]},
			Parameters: []param{
				{Name: "id", In: "path", Required: true, Schema: &schema{Type: "string"}},
				{Name: "per_page", In: "query", Schema: &schema{Type: "integer", Example: 20}},
			},
			Responses: map[string]*schema{"200": {Ref: "#/components/schemas/" + name}, "401": {Type: "object", Description: "Unauthorized"}},
		}
		doc.Operations = append(doc.Operations, o)
		b, _ := json.Marshal(o)
		sb, _ := json.Marshal(s)
		total += len(b) + len(sb) + len(name)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}

// realisticExchange returns a captured exchange with ~1 KB request and response bodies.
func realisticExchange(r *rand.Rand, id string, at time.Time) *model.Exchange {
	body := func() []byte {
		b, _ := json.Marshal(map[string]any{"id": r.Int63(), "name": sentence(r, 5), "description": sentence(r, 120),
			"tags": []string{sentence(r, 1), sentence(r, 1)}, "region": "nyc3", "size": "s-1vcpu-1gb"})
		return b
	}
	req, resp := body(), body()
	return &model.Exchange{
		ID: id, StartedAt: at, Duration: time.Duration(r.Intn(5000)) * time.Microsecond,
		API: "digitalocean", Operation: "droplets_create", Mode: "mock", ClientAddr: "127.0.0.1:51234",
		Method: "POST", URL: "/v2/droplets?page=1&per_page=20", Host: "localhost:4010", Proto: "HTTP/1.1",
		RequestHeaders: http.Header{
			"Accept": {"application/json"}, "Content-Type": {"application/json"}, "User-Agent": {"curl/8.5.0"},
			"Authorization": {"[redacted]"}, "X-Request-Id": {fmt.Sprint(r.Int63())}, "Accept-Encoding": {"gzip"},
		},
		RequestBody: req, RequestSize: int64(len(req)), Status: 202,
		ResponseHeaders: http.Header{
			"Content-Type": {"application/json"}, "Date": {at.Format(http.TimeFormat)}, "Ratelimit-Limit": {"5000"},
			"Ratelimit-Remaining": {"4999"}, "Content-Length": {fmt.Sprint(len(resp))},
		},
		ResponseBody: resp, ResponseSize: int64(len(resp)),
		Violations: []model.Violation{{In: "query", Name: "per_page", Message: "must be <= 200"}},
	}
}

// mockExchange returns an exchange the size of what a mock of the OAI petstore serves:
// no request body, a ~150-byte JSON response.
func mockExchange(r *rand.Rand, id string, at time.Time) *model.Exchange {
	resp := []byte(fmt.Sprintf(`[{"id":%d,"name":"%s","tag":"%s"},{"id":%d,"name":"%s"}]`,
		r.Int63(), sentence(r, 2), sentence(r, 1), r.Int63(), sentence(r, 3)))
	return &model.Exchange{
		ID: id, StartedAt: at, Duration: time.Duration(r.Intn(500)) * time.Microsecond,
		API: "swagger-petstore", Operation: "listPets", Mode: "mock", ClientAddr: "127.0.0.1:51234",
		Method: "GET", URL: "/v1/pets?limit=5", Host: "127.0.0.1:4010", Proto: "HTTP/1.1",
		RequestHeaders: http.Header{"Accept": {"*/*"}, "User-Agent": {"curl/8.5.0"}},
		Status:         200,
		ResponseHeaders: http.Header{
			"Content-Type": {"application/json"}, "X-Next": {"/v1/pets?page=2"}, "Content-Length": {fmt.Sprint(len(resp))},
		},
		ResponseBody: resp, ResponseSize: int64(len(resp)),
	}
}

// BenchmarkAppendExchanges stores batches of mock-sized exchanges (what the load benchmark
// records) and of exchanges with ~1 KB request and response bodies, 256 (the recorder's
// default) and 1024 at a time. cpu-µs/exchange is the CPU time of the whole process per
// exchange, the background checkpoints included; exchanges/s is by wall time.
func BenchmarkAppendExchanges(b *testing.B) {
	for _, tc := range []struct {
		name string
		make func(*rand.Rand, string, time.Time) *model.Exchange
	}{{"mock", mockExchange}, {"1KB-bodies", realisticExchange}} {
		for _, batch := range []int{256, 1024} {
			b.Run(fmt.Sprintf("%s/batch=%d", tc.name, batch), func(b *testing.B) {
				s := openTemp(b)
				r := rand.New(rand.NewSource(1))
				base := time.Now().UTC()
				pool := make([]*model.Exchange, batch)
				for i := range pool {
					pool[i] = tc.make(r, "", base)
				}
				xs := make([]*model.Exchange, batch)
				n := 0
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				cpu0, cpuOK := proccpu.Used()
				for b.Loop() {
					for i := range xs {
						x := *pool[i]
						x.ID = fmt.Sprintf("01JX%012d", n)
						x.StartedAt = base.Add(time.Duration(n) * time.Millisecond)
						xs[i] = &x
						n++
					}
					if err := s.AppendExchanges(b.Context(), xs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "exchanges/s")
				if cpu1, ok := proccpu.Used(); ok && cpuOK {
					b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(n), "cpu-µs/exchange")
				}
			})
		}
	}
}

// BenchmarkLatestRevision reads the newest revision of an API with a ~5 MB compiled form,
// without files: the hot path of starting a mock.
func BenchmarkLatestRevision(b *testing.B) {
	compiled := fakeCompiled(5 << 20)
	for _, tc := range []struct {
		name     string
		compress bool
	}{{"plain", false}, {"deflate", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s := openTemp(b)
			s.compressCompiled = tc.compress
			files := []model.SpecFile{{Path: "openapi.yaml", Content: compiled[:1<<20]}}
			if _, _, _, err := s.AddRevision(b.Context(), "big", &model.SpecRevision{Hash: "h", Files: files, Compiled: compiled}); err != nil {
				b.Fatal(err)
			}
			var stored int
			if err := s.r.QueryRow(`SELECT length(data) FROM blobs WHERE hash = ?`, blobHash(compiled)).Scan(&stored); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(compiled)))
			for b.Loop() {
				rev, err := s.LatestRevision(b.Context(), "big", false)
				if err != nil {
					b.Fatal(err)
				}
				if len(rev.Compiled) != len(compiled) {
					b.Fatal("short compiled form")
				}
			}
			b.ReportMetric(float64(stored)/(1<<20), "stored-MiB")
		})
	}
}

// BenchmarkAddRevision stores a new revision with a ~5 MB compiled form (the write side of
// the compression choice).
func BenchmarkAddRevision(b *testing.B) {
	compiled := fakeCompiled(5 << 20)
	for _, tc := range []struct {
		name     string
		compress bool
	}{{"plain", false}, {"deflate", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s := openTemp(b)
			s.compressCompiled = tc.compress
			b.SetBytes(int64(len(compiled)))
			i := 0
			for b.Loop() {
				// A distinct compiled form each time, so that nothing is deduplicated.
				c := append([]byte(nil), compiled...)
				copy(c[len(c)-20:], fmt.Sprintf("%019d}", i))
				i++
				rev := &model.SpecRevision{Hash: fmt.Sprint(i), Compiled: c}
				if _, _, _, err := s.AddRevision(b.Context(), "big", rev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
