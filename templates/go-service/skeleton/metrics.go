package main

import (
	"bufio"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metricsContentType is the Prometheus text exposition format, version 0.0.4.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// durationBuckets are the upper bounds (seconds) of the request duration
// histogram: Prometheus' default buckets.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type requestKey struct {
	method string
	path   string
	status int
}

type histogram struct {
	buckets []uint64 // per bucket, not cumulative; one more for +Inf
	sum     float64
	count   uint64
}

// metrics is a small, dependency-free Prometheus registry for the service.
type metrics struct {
	start     time.Time
	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[string]*histogram
}

func newMetrics(start time.Time) *metrics {
	return &metrics{
		start:     start,
		requests:  map[requestKey]uint64{},
		durations: map[string]*histogram{},
	}
}

// knownMethods keeps the method label bounded: anything else counts as OTHER.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// observe records one finished request.
func (m *metrics) observe(method, path string, status int, d time.Duration) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	seconds := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{method, path, status}]++
	h := m.durations[path]
	if h == nil {
		h = &histogram{buckets: make([]uint64, len(durationBuckets)+1)}
		m.durations[path] = h
	}
	i := sort.SearchFloat64s(durationBuckets, seconds) // first bound >= seconds
	h.buckets[i]++
	h.sum += seconds
	h.count++
}

// write renders every metric in the Prometheus text format.
func (m *metrics) write(out io.Writer) error {
	w := bufio.NewWriter(out)

	w.WriteString("# HELP build_info Build information about the service; the value is always 1.\n")
	w.WriteString("# TYPE build_info gauge\n")
	w.WriteString("build_info" + labels("service", serviceName, "version", version, "goversion", runtime.Version()) + " 1\n")

	w.WriteString("# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n")
	w.WriteString("# TYPE process_start_time_seconds gauge\n")
	w.WriteString("process_start_time_seconds " + strconv.FormatFloat(float64(m.start.UnixMilli())/1000, 'f', 3, 64) + "\n")

	m.mu.Lock()
	defer m.mu.Unlock()

	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.path != b.path {
			return a.path < b.path
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	w.WriteString("# HELP http_requests_total HTTP requests handled, by method, route and status code.\n")
	w.WriteString("# TYPE http_requests_total counter\n")
	for _, k := range keys {
		w.WriteString("http_requests_total" + labels("method", k.method, "path", k.path, "status", strconv.Itoa(k.status)) +
			" " + strconv.FormatUint(m.requests[k], 10) + "\n")
	}

	paths := make([]string, 0, len(m.durations))
	for p := range m.durations {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	w.WriteString("# HELP http_request_duration_seconds Time spent handling HTTP requests, by route.\n")
	w.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, p := range paths {
		h := m.durations[p]
		var cumulative uint64
		for i, n := range h.buckets {
			cumulative += n
			le := "+Inf"
			if i < len(durationBuckets) {
				le = formatFloat(durationBuckets[i])
			}
			w.WriteString("http_request_duration_seconds_bucket" + labels("path", p, "le", le) +
				" " + strconv.FormatUint(cumulative, 10) + "\n")
		}
		w.WriteString("http_request_duration_seconds_sum" + labels("path", p) + " " + formatFloat(h.sum) + "\n")
		w.WriteString("http_request_duration_seconds_count" + labels("path", p) + " " + strconv.FormatUint(h.count, 10) + "\n")
	}
	return w.Flush()
}

// labels renders name/value pairs as a Prometheus label set.
func labels(pairs ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(pairs[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
