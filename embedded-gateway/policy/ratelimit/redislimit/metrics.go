package redislimit

import "github.com/prometheus/client_golang/prometheus"

// kind says which policy a fallback decided for.
type kind int

const (
	kindRateLimit kind = iota
	kindQuota
	numKinds
)

var kindNames = [numKinds]string{"rateLimit", "quota"}

// Metrics counts what a Backend did while Redis was unreachable. It is a
// prometheus.Collector: register it with the registry /metrics exports. The zero value is
// not usable; call NewMetrics.
//
//	gantry_ratelimit_fallback_total{policy, decision}  requests decided without Redis:
//	                                                    decision="local" or "rejected"
//	gantry_ratelimit_redis_outages_total                outages seen (circuit openings)
//	gantry_ratelimit_redis_up                           1 while Redis decides, 0 during an outage
type Metrics struct {
	fallback *prometheus.CounterVec
	outages  prometheus.Counter
	up       prometheus.Gauge

	local    [numKinds]prometheus.Counter // resolved once: no label lookup per request
	rejected [numKinds]prometheus.Counter
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		fallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_ratelimit_fallback_total",
			Help: "Rate-limit and quota decisions made without Redis because it was unreachable, by policy and decision (local: a per-node counter decided; rejected: failed closed).",
		}, []string{"policy", "decision"}),
		outages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gantry_ratelimit_redis_outages_total",
			Help: "Times the shared rate-limit store became unreachable.",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gantry_ratelimit_redis_up",
			Help: "1 while rate limits and quotas are counted in Redis, 0 while it is unreachable.",
		}),
	}
	for k := range numKinds {
		m.local[k] = m.fallback.WithLabelValues(kindNames[k], "local")
		m.rejected[k] = m.fallback.WithLabelValues(kindNames[k], "rejected")
	}
	return m
}

// NoRedis records that no Redis is in use any more (a node that went back to counting
// alone): gantry_ratelimit_redis_up reads 0 until a Backend using these metrics decides again.
func (m *Metrics) NoRedis() { m.up.Set(0) }

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.fallback.Describe(ch)
	m.outages.Describe(ch)
	m.up.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.fallback.Collect(ch)
	m.outages.Collect(ch)
	m.up.Collect(ch)
}
