// Command ${{ values.name }} - ${{ values.description }}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	serviceName     = "${{ values.name }}"
	defaultPort     = "${{ values.port }}"
	shutdownTimeout = 15 * time.Second
)

// version is set at build time: go build -ldflags "-X main.version=<version>".
var version = "dev"

// config is what the service reads from its environment.
type config struct {
	// Port is the TCP port to listen on (PORT).
	Port string
	// LogLevel is the lowest level logged (LOG_LEVEL: debug, info, warn, error).
	LogLevel slog.Level
	// DrainDelay is how long readiness fails before the server stops accepting
	// connections, so that load balancers take the pod out first (SHUTDOWN_DELAY).
	DrainDelay time.Duration
}

// loadConfig reads the configuration through getenv (os.Getenv in production).
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{Port: defaultPort, LogLevel: slog.LevelInfo, DrainDelay: 5 * time.Second}
	if v := getenv("PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return config{}, fmt.Errorf("PORT must be a port number, got %q", v)
		}
		cfg.Port = v
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return config{}, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", v)
		}
	}
	if v := getenv("SHUTDOWN_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("SHUTDOWN_DELAY must be a duration such as 5s, got %q", v)
		}
		cfg.DrainDelay = d
	}
	return cfg, nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})).With("service", serviceName)
}

func main() {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration error:", err)
		os.Exit(2)
	}
	logger := newLogger(os.Stdout, cfg.LogLevel)
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("service stopped with an error", "error", err)
		os.Exit(1)
	}
}

// run listens on the configured port and serves until ctx is cancelled.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("", cfg.Port))
	if err != nil {
		return fmt.Errorf("listen on port %s: %w", cfg.Port, err)
	}
	return serve(ctx, ln, cfg, logger)
}

// serve handles HTTP on ln until ctx is cancelled (SIGTERM/SIGINT in
// production), then fails readiness, waits cfg.DrainDelay and drains in-flight
// requests before returning.
func serve(ctx context.Context, ln net.Listener, cfg config, logger *slog.Logger) error {
	var ready atomic.Bool
	srv := &http.Server{
		Handler:           newHandler(logger, newMetrics(time.Now()), &ready),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}

	serveErr := make(chan error, 1)
	go func() {
		logger.Info("listening", "addr", ln.Addr().String(), "version", version)
		serveErr <- srv.Serve(ln)
	}()
	ready.Store(true)

	select {
	case err := <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}

	// Fail readiness first so the load balancer stops sending traffic, then drain.
	logger.Info("shutdown requested", "drain_delay", cfg.DrainDelay.String(), "timeout", shutdownTimeout.String())
	ready.Store(false)
	time.Sleep(cfg.DrainDelay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	logger.Info("shutdown complete")
	return nil
}

// newHandler builds the HTTP routes of the service, each request counted in m.
func newHandler(logger *slog.Logger, m *metrics, ready *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	routes := map[string]string{} // mux pattern -> path label of the metrics
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, h)
		_, path, _ := strings.Cut(pattern, " ")
		routes[pattern] = strings.TrimSuffix(path, "{$}")
	}

	handle("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	handle("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	handle("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", metricsContentType)
		_ = m.write(w)
	})
	handle("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"service": serviceName, "version": version})
	})
	return instrument(logger, m, mux, routes)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// instrument counts and times every request in m and writes one structured
// log line per request. Requests that match no route share the path label
// "unmatched", so unknown URLs cannot blow up the number of series. Probe and
// scrape requests are logged at debug level to keep the logs quiet.
func instrument(logger *slog.Logger, m *metrics, mux *http.ServeMux, routes map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, pattern := mux.Handler(r)
		path, ok := routes[pattern]
		if !ok {
			path = "unmatched"
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		m.observe(r.Method, path, rec.status, elapsed)

		level := slog.LevelInfo
		if path == "/healthz" || path == "/readyz" || path == "/metrics" {
			level = slog.LevelDebug
		}
		logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", elapsed),
		)
	})
}
