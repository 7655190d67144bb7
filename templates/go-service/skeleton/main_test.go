package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func testLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
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
	var ready atomic.Bool
	h := newHandler(testLogger(), &ready)

	rec, body := get(t, h, http.MethodGet, "/healthz")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if body["status"] != "ok" {
		t.Fatalf("body = %v, want status ok", body)
	}
}

func TestReadyzFollowsReadiness(t *testing.T) {
	var ready atomic.Bool
	h := newHandler(testLogger(), &ready)

	if rec, _ := get(t, h, http.MethodGet, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("before ready: status = %d, want 503", rec.Code)
	}
	ready.Store(true)
	if rec, body := get(t, h, http.MethodGet, "/readyz"); rec.Code != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("after ready: status = %d body = %v, want 200 ready", rec.Code, body)
	}
}

func TestRoutes(t *testing.T) {
	var ready atomic.Bool
	h := newHandler(testLogger(), &ready)

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

func TestRunServesAndShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"PORT": "0"} // let the kernel pick a free port
	done := make(chan error, 1)
	go func() { done <- run(ctx, testLogger(), func(k string) string { return env[k] }) }()

	time.Sleep(100 * time.Millisecond)
	cancel()

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after the context was cancelled")
	}
}

func TestRunFailsOnInvalidPort(t *testing.T) {
	err := run(context.Background(), testLogger(), func(string) string { return "not-a-port" })
	if err == nil {
		t.Fatal("run with an invalid PORT returned nil, want an error")
	}
}
