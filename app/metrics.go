package app

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// metrics are the Prometheus series of CONTRACT §7, in a registry of the
// Server's own (never the global one, so that two Servers in one test
// binary do not collide). The HTTP series are fed by the front end's
// Observe hook; sign-ins, refusals and checkouts by the audit trail's, the
// one place that hears of each; the live sessions are counted at each
// scrape.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	logins    *prometheus.CounterVec
	denied    *prometheus.CounterVec
	checkouts *prometheus.CounterVec
}

// countTimeout bounds the count of live sessions at a scrape: a store that
// does not answer must not hang Prometheus.
const countTimeout = 2 * time.Second

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sesame_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_logins_total",
			Help: "Password checks at sign-in, by outcome (success, failure).",
		}, []string{"outcome"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_authz_denied_total",
			Help: "Requests refused with 403, by the permission they lacked (other: a cross-origin request or a missing re-authentication).",
		}, []string{"permission"}),
		checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_checkouts_total",
			Help: "Checkouts, by outcome (success, failure: an empty cart or short stock).",
		}, []string{"outcome"}),
	}
	m.registry.MustRegister(m.requests, m.durations, m.logins, m.denied, m.checkouts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The outcomes exist from the start at 0, so that a rate over them is
	// defined before the first sign-in.
	for _, o := range []sesame.Outcome{sesame.OutcomeSuccess, sesame.OutcomeFailure} {
		m.logins.WithLabelValues(string(o))
		m.checkouts.WithLabelValues(string(o))
	}
	for _, p := range permissions {
		m.denied.WithLabelValues(string(p))
	}
	return m
}

// countSessions adds sesame_sessions_active, counted by sessions at each
// scrape. A count that fails is logged and leaves the series out of that
// scrape, rather than report a false 0.
func (m *metrics) countSessions(sessions *session.Manager, log *slog.Logger) {
	m.registry.MustRegister(&sessionGauge{sessions: sessions, log: log, desc: prometheus.NewDesc(
		"sesame_sessions_active", "Live sessions in the session store.", nil, nil)})
}

// observeRequest is the front end's Observe hook.
func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route).Observe(d.Seconds())
}

// observeEvent is the audit trail's Observe hook.
func (m *metrics) observeEvent(e sesame.Event) {
	switch e.Action {
	case sesame.ActionLogin:
		m.logins.WithLabelValues(string(e.Outcome)).Inc()
	case sesame.ActionCheckout:
		m.checkouts.WithLabelValues(string(e.Outcome)).Inc()
	case sesame.ActionAccessDenied:
		m.denied.WithLabelValues(deniedPermission(e.Detail)).Inc()
	}
}

// deniedPermission is the label of a refusal: the permission Authorize
// names in the event's detail, or "other", so that the label's values stay
// the few permissions whatever a detail says.
func deniedPermission(detail string) string {
	for _, p := range permissions {
		if detail == string(p) {
			return detail
		}
	}
	return "other"
}

// permissions are the permissions sesame knows, the values of the
// permission label.
var permissions = []sesame.Permission{sesame.PermProductsView, sesame.PermCartEdit, sesame.PermCheckout,
	sesame.PermTaskPerform, sesame.PermAdmin}

// handler serves /metrics, and nothing else, on the metrics listener.
func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return mux
}

// sessionGauge reports the live sessions at each scrape.
type sessionGauge struct {
	sessions *session.Manager
	log      *slog.Logger
	desc     *prometheus.Desc
}

func (g *sessionGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *sessionGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	n, err := g.sessions.Count(ctx)
	if err != nil {
		g.log.Warn("metrics: sessions not counted", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
}
