package main

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/sealfs/sealfs/cache/budget"
	"github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// metrics holds the daemon's Prometheus collectors, in a registry of its
// own. Labels carry operation names, event kinds and key ids only: never
// a path or a file name (they are PHI for Orthanc's neighbours).
type metrics struct {
	reg          *prometheus.Registry
	storeReqs    *prometheus.CounterVec
	storeErrs    *prometheus.CounterVec
	storeLatency *prometheus.HistogramVec
	audit        *prometheus.CounterVec
	retries      *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		storeReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealfs_store_requests_total",
			Help: "Store requests by operation and result (ok, not_found, precondition_failed, unavailable, error), one per request as the filesystem sees it (its retries are in sealfs_store_retries_total).",
		}, []string{"op", "result"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealfs_store_errors_total",
			Help: "Store requests that failed after their retries (unavailable or another error; not found and precondition failed are answers, not errors).",
		}, []string{"op"}),
		storeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sealfs_store_request_duration_seconds",
			Help:    "Duration of one store request, its retries included.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"op"}),
		audit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealfs_audit_events_total",
			Help: "Audit events by kind (key-loaded, unwrap-failed, integrity-failed, write-conflict, …), as written to the audit log.",
		}, []string{"kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealfs_store_retries_total",
			Help: "Store request attempts that failed as unavailable and were retried, by operation.",
		}, []string{"op"}),
	}
	m.reg.MustRegister(m.storeReqs, m.storeErrs, m.storeLatency, m.audit, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "sealfs_build_info",
		Help:        "Always 1; labels say which sealfs build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	info.Set(1)
	m.reg.MustRegister(info)
	return m
}

// Observe counts one store request (metered.Observer).
func (m *metrics) Observe(op string, d time.Duration, err error) {
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, remote.ErrNotFound):
		result = "not_found"
	case errors.Is(err, remote.ErrPreconditionFailed):
		result = "precondition_failed"
	case errors.Is(err, remote.ErrUnavailable):
		result = "unavailable"
	default:
		result = "error"
	}
	m.storeReqs.WithLabelValues(op, result).Inc()
	if result == "unavailable" || result == "error" {
		m.storeErrs.WithLabelValues(op).Inc()
	}
	m.storeLatency.WithLabelValues(op).Observe(d.Seconds())
}

// retried counts one retried attempt (retry.Policy.OnRetry).
func (m *metrics) retried(op string) { m.retries.WithLabelValues(op).Inc() }

// auditor counts each event by kind, then passes it on.
func (m *metrics) auditor(next keyring.Auditor) keyring.Auditor {
	return keyring.AuditorFunc(func(e keyring.Event) {
		m.audit.WithLabelValues(string(e.Kind)).Inc()
		next.Audit(e)
	})
}

// auditCount returns how many events of kind were audited since start.
func (m *metrics) auditCount(kind keyring.EventKind) float64 {
	c, err := m.audit.GetMetricWithLabelValues(string(kind))
	if err != nil {
		return 0
	}
	return counterValue(c)
}

// mountGauges registers the gauges that read the mounted filesystem.
func (m *metrics) mountGauges(wb *fs.WriteBack, b *budget.Budget, keys []keyStatus) {
	if wb != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sealfs_writeback_queued",
			Help: "Paths whose acknowledged change is not in the store yet (write-back journal).",
		}, func() float64 { return float64(wb.Stats().Queued) }))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sealfs_writeback_oldest_age_seconds",
			Help: "Age of the oldest acknowledged change not in the store yet; 0 when the queue is empty.",
		}, func() float64 { return oldestAge(wb.Stats()).Seconds() }))
	}
	if b != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sealfs_memory_budget_in_use_bytes", Help: "Bytes of the memory budget held by encryption and transfer buffers.",
		}, func() float64 { return float64(b.InUse()) }))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sealfs_memory_budget_peak_bytes", Help: "Highest use of the memory budget since the mount.",
		}, func() float64 { return float64(b.Peak()) }))
	}
	kek := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sealfs_kek_loaded", Help: "1 for each loaded key-encryption key, by id and state (never key material).",
	}, []string{"kek_id", "state"})
	for _, k := range keys {
		kek.WithLabelValues(strconv.FormatUint(uint64(k.ID), 10), k.State).Set(1)
	}
	m.reg.MustRegister(kek)
}

// oldestAge is how long the oldest queued change has waited.
func oldestAge(s fs.JournalStats) time.Duration {
	if s.Queued == 0 || s.Oldest.IsZero() {
		return 0
	}
	return time.Since(s.Oldest)
}

// checkMetricsListen refuses an address that is not loopback unless
// allowRemote: the endpoint has no authentication.
func checkMetricsListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("metrics_listen %q: want HOST:PORT, such as 127.0.0.1:9464: %w", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("metrics_listen %q is not a loopback address: the endpoint has no authentication; use 127.0.0.1 or [::1] and a scraping proxy, or set metrics_allow_remote (--metrics-allow-remote) to expose it", addr)
	}
	return nil
}

// counterValue reads a counter's current value.
func counterValue(c prometheus.Counter) float64 {
	var pb dto.Metric
	if err := c.Write(&pb); err != nil {
		return 0
	}
	return pb.GetCounter().GetValue()
}
