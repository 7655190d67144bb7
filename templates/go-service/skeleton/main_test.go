package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

func newTestHandler() (http.Handler, *atomic.Bool) {
	var ready atomic.Bool
	return newHandler(testLogger(), newMetrics(time.Unix(1700000000, 0)), &ready), &ready
}

func get(t *testing.T, h http.Handler, method, path string) (*httptest.ResponseRecorder, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	var body map[string]string
	if rec.Header().Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: invalid JSON body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec, body
}

func TestHealthz(t *testing.T) {
	h, _ := newTestHandler()

	rec, body := get(t, h, http.MethodGet, "/healthz")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if body["status"] != "ok" {
		t.Fatalf("body = %v, want status ok", body)
	}
}

func TestReadyzFollowsReadiness(t *testing.T) {
	h, ready := newTestHandler()

	if rec, _ := get(t, h, http.MethodGet, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("before ready: status = %d, want 503", rec.Code)
	}
	ready.Store(true)
	if rec, body := get(t, h, http.MethodGet, "/readyz"); rec.Code != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("after ready: status = %d body = %v, want 200 ready", rec.Code, body)
	}
}

func TestRoutes(t *testing.T) {
	h, _ := newTestHandler()

	cases := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodGet, "/does-not-exist", http.StatusNotFound},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		if rec, _ := get(t, h, c.method, c.path); rec.Code != c.want {
			t.Errorf("%s %s: status = %d, want %d", c.method, c.path, rec.Code, c.want)
		}
	}
}

func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	h, _ := newTestHandler()
	get(t, h, http.MethodGet, "/healthz")
	get(t, h, http.MethodGet, "/healthz")
	get(t, h, http.MethodGet, "/readyz") // 503: not ready yet
	get(t, h, http.MethodGet, "/no/such/page")
	get(t, h, http.MethodGet, "/another-unknown-page")
	get(t, h, http.MethodPost, "/healthz")
	get(t, h, "BREW", "/healthz")

	rec, _ := get(t, h, http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != metricsContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, metricsContentType)
	}
	body := rec.Body.String()
	for _, line := range []string{
		"# TYPE http_requests_total counter",
		`http_requests_total{method="GET",path="/healthz",status="200"} 2`,
		`http_requests_total{method="GET",path="/readyz",status="503"} 1`,
		`http_requests_total{method="GET",path="unmatched",status="404"} 2`,
		`http_requests_total{method="POST",path="unmatched",status="405"} 1`,
		`http_requests_total{method="OTHER",path="unmatched",status="405"} 1`,
		"# TYPE http_request_duration_seconds histogram",
		`http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 2`,
		`http_request_duration_seconds_count{path="/healthz"} 2`,
		`http_request_duration_seconds_count{path="unmatched"} 4`,
		"# TYPE process_start_time_seconds gauge",
		"process_start_time_seconds 1700000000.000",
		"# TYPE build_info gauge",
		`build_info{service="` + serviceName + `",version="dev",goversion="`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("metrics lack %q; got:\n%s", line, body)
		}
	}
	// The scrape itself is counted once it has finished.
	rec, _ = get(t, h, http.MethodGet, "/metrics")
	if want := `http_requests_total{method="GET",path="/metrics",status="200"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("second scrape lacks %q", want)
	}
}

func TestMetricsFormatIsWellFormed(t *testing.T) {
	h, _ := newTestHandler()
	get(t, h, http.MethodGet, "/healthz")
	rec, _ := get(t, h, http.MethodGet, "/metrics")

	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			typed[strings.Fields(line)[2]] = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		family := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && typed[base] {
				family = base
			}
		}
		if !typed[family] {
			t.Errorf("sample %q has no # TYPE line before it", line)
		}
		if fields := strings.Fields(line); len(fields) != 2 {
			t.Errorf("sample %q is not `name{labels} value`", line)
		}
	}
}

func TestHistogramBucketsAreCumulative(t *testing.T) {
	m := newMetrics(time.Now())
	m.observe(http.MethodGet, "/x", 200, 3*time.Millisecond)   // <= 0.005
	m.observe(http.MethodGet, "/x", 200, 300*time.Millisecond) // <= 0.5
	m.observe(http.MethodGet, "/x", 200, 20*time.Second)       // +Inf only
	var b strings.Builder
	if err := m.write(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`http_request_duration_seconds_bucket{path="/x",le="0.005"} 1`,
		`http_request_duration_seconds_bucket{path="/x",le="0.25"} 1`,
		`http_request_duration_seconds_bucket{path="/x",le="0.5"} 2`,
		`http_request_duration_seconds_bucket{path="/x",le="10"} 2`,
		`http_request_duration_seconds_bucket{path="/x",le="+Inf"} 3`,
		`http_request_duration_seconds_sum{path="/x"} 20.303`,
		`http_request_duration_seconds_count{path="/x"} 3`,
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("histogram lacks %q; got:\n%s", line, b.String())
		}
	}
}

func TestLabelValuesAreEscaped(t *testing.T) {
	if got, want := labels("a", `x"y\z`+"\n"), `{a="x\"y\\z\n"}`; got != want {
		t.Fatalf("labels = %s, want %s", got, want)
	}
}

func TestLoadConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	cfg, err := loadConfig(env(nil))
	if err != nil || cfg.Port != defaultPort || cfg.LogLevel != slog.LevelInfo || cfg.DrainDelay != 5*time.Second {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	cfg, err = loadConfig(env(map[string]string{"PORT": "9000", "LOG_LEVEL": "debug", "SHUTDOWN_DELAY": "0s"}))
	if err != nil || cfg.Port != "9000" || cfg.LogLevel != slog.LevelDebug || cfg.DrainDelay != 0 {
		t.Fatalf("overrides: %+v, %v", cfg, err)
	}
	for _, bad := range []map[string]string{
		{"PORT": "not-a-port"},
		{"PORT": "70000"},
		{"LOG_LEVEL": "chatty"},
		{"SHUTDOWN_DELAY": "soon"},
	} {
		if _, err := loadConfig(env(bad)); err == nil {
			t.Errorf("loadConfig(%v) returned no error", bad)
		}
	}
}

func TestServeAnswersAndShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, config{DrainDelay: 0}, testLogger()) }()

	url := "http://" + ln.Addr().String() + "/readyz"
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz never answered 200 (last error %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v, want nil after graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the context was cancelled")
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("the server still answers after shutdown")
	}
}

func TestRunFailsWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if err := run(context.Background(), config{Port: port}, testLogger()); err == nil {
		t.Fatal("run on a port in use returned nil, want an error")
	}
}
