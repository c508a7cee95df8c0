package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sealfs/sealfs/cache/budget"
	"github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/metered"
)

// service is what the daemon does for its supervisor and its operator:
// systemd notifications (Type=notify, STATUS=, the watchdog), the
// Prometheus endpoint and the status socket read by "sealfs status".
type service struct {
	cfg      *config
	metrics  *metrics
	listener net.Listener // the metrics endpoint; nil when not configured

	mu       sync.Mutex
	logger   *slog.Logger
	servers  []*http.Server
	info     mountInfo
	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// mountInfo is what the status reports describe.
type mountInfo struct {
	Mountpoint string
	Store      string
	StoreDir   string // the local tier's directory, "" for object stores
	StateDir   string
	WriteBack  *fs.WriteBack
	Budget     *budget.Budget
	Keys       []keyStatus
	Since      time.Time
}

// keyStatus names one loaded KEK: its id and state, never its material.
type keyStatus struct {
	ID    uint32 `json:"id"`
	State string `json:"state"`
}

// statusInterval is how often STATUS= is refreshed for systemctl status.
const statusInterval = 10 * time.Second

// newService checks the service settings and binds the metrics address,
// so that a bad setting stops the mount before it is made.
func newService(cfg *config) (*service, error) {
	if err := checkLogFormat(cfg.LogFormat); err != nil {
		return nil, err
	}
	s := &service{cfg: cfg, metrics: newMetrics(), stop: make(chan struct{}), logger: slog.New(slog.DiscardHandler)}
	if cfg.MetricsListen != "" {
		if err := checkMetricsListen(cfg.MetricsListen, cfg.MetricsAllowRemote); err != nil {
			return nil, err
		}
		l, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return nil, fmt.Errorf("metrics_listen: %w", err)
		}
		s.listener = l
	}
	return s, nil
}

// auditor counts audit events for the metrics, then passes them on.
func (s *service) auditor(next keyring.Auditor) keyring.Auditor { return s.metrics.auditor(next) }

// meterStore counts the store's requests for the metrics.
func (s *service) meterStore(st remote.Store) remote.Store { return metered.Wrap(st, s.metrics) }

// start runs once the mount serves: it starts the metrics endpoint and the
// status socket, tells systemd READY=1 and keeps STATUS= (and the
// watchdog, if WatchdogSec= is set) up to date.
func (s *service) start(logger *slog.Logger, info mountInfo) {
	s.mu.Lock()
	s.logger, s.info = logger, info
	s.mu.Unlock()
	s.metrics.mountGauges(info.WriteBack, info.Budget, info.Keys)
	if s.listener != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg}))
		s.serveHTTP(s.listener, mux)
		logger.Info("metrics endpoint", "addr", "http://"+s.listener.Addr().String()+"/metrics")
	}
	if l, err := listenStatusSocket(info.StateDir); err != nil {
		logger.Warn("status socket unavailable: sealfs status will not see this mount", "err", err)
	} else {
		mux := http.NewServeMux()
		mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.report()) })
		s.serveHTTP(l, mux)
	}
	n := notifier{logger: logger}
	n.send("READY=1\nSTATUS=" + s.statusLine())
	s.wg.Add(1)
	go s.notifyLoop(n)
}

func (s *service) serveHTTP(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Warn("http server stopped", "addr", l.Addr().String(), "err", err)
		}
	}()
}

// notifyLoop refreshes STATUS= and sends watchdog keep-alives while the
// mount answers a stat of its root.
func (s *service) notifyLoop(n notifier) {
	defer s.wg.Done()
	status := time.NewTicker(statusInterval)
	defer status.Stop()
	var watchdog <-chan time.Time
	if d := n.watchdogInterval(); d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-status.C:
			n.send("STATUS=" + s.statusLine())
		case <-watchdog:
			// A hung FUSE server hangs this stat too: the keep-alives
			// stop and systemd restarts the service.
			if _, err := os.Stat(s.info.Mountpoint); err == nil {
				n.send("WATCHDOG=1")
			} else {
				s.logger.Warn("watchdog: the mount point does not answer", "err", err)
			}
		}
	}
}

// statusLine is the one-line state for systemctl status.
func (s *service) statusLine() string {
	line := fmt.Sprintf("serving %s on %s", s.info.Mountpoint, s.info.Store)
	if s.info.WriteBack != nil {
		st := s.info.WriteBack.Stats()
		line += fmt.Sprintf("; write-back queue %d", st.Queued)
		if st.Queued > 0 {
			line += fmt.Sprintf(" (oldest %s)", oldestAge(st).Round(time.Second))
		}
	}
	if n := s.metrics.auditCount(keyring.IntegrityFailed); n > 0 {
		line += fmt.Sprintf("; %d integrity failures", int64(n))
	}
	return line
}

// stopping tells systemd the service is shutting down (once).
func (s *service) stopping() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		logger := s.logger
		s.mu.Unlock()
		notifier{logger: logger}.send("STOPPING=1\nSTATUS=unmounting " + s.info.Mountpoint)
	})
}

// close stops the loops and servers.
func (s *service) close() {
	select {
	case <-s.stop:
		return
	default:
		close(s.stop)
	}
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		srv.Shutdown(ctx)
	}
	if s.listener != nil {
		s.listener.Close()
	}
	if s.info.StateDir != "" {
		os.Remove(statusSocketPath(s.info.StateDir))
	}
}

// statusSocketPath is where the daemon answers "sealfs status".
func statusSocketPath(stateDir string) string { return filepath.Join(stateDir, "status.sock") }

// mountInfoOf gathers what the status reports describe.
func mountInfoOf(cfg *config, spec storeSpec, specs []keyring.Spec, wb *fs.WriteBack, b *budget.Budget) mountInfo {
	info := mountInfo{Mountpoint: cfg.Mountpoint, Store: spec.String(), StateDir: cfg.StateDir, WriteBack: wb, Budget: b, Since: time.Now()}
	if spec.Kind == "local" {
		if dir, err := filepath.Abs(spec.Dir); err == nil {
			info.StoreDir = dir
		}
	}
	for _, k := range specs {
		info.Keys = append(info.Keys, keyStatus{ID: k.ID, State: k.State.String()})
	}
	return info
}
