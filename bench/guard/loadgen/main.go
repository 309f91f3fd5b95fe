// The guard benchmark's load generator: -c closed-loop workers, each with its own
// keep-alive connection, sending chat completions to -url for -duration after -warmup.
// Streams: time to first token, the gaps between tokens, tokens/s. Non-stream: req/s and
// latency. Prints one JSON object. Talks to 127.0.0.1 only. With -ramp the workers start
// spread over that time, so -c streams are in flight at a steady state instead of arriving
// together (and, all of one length, together again at every turn).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"
)

type result struct {
	Concurrency  int     `json:"concurrency"`
	Stream       bool    `json:"stream"`
	Seconds      float64 `json:"seconds"`
	Requests     int     `json:"requests"`
	Tokens       int     `json:"tokens"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	ReqPerSec    float64 `json:"req_per_s"`
	TokPerSec    float64 `json:"tok_per_s"`
	TTFTP50Ms    float64 `json:"ttft_p50_ms"`
	TTFTP99Ms    float64 `json:"ttft_p99_ms"`
	GapP50Ms     float64 `json:"itl_p50_ms"`
	GapP99Ms     float64 `json:"itl_p99_ms"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
}

type worker struct {
	requests, tokens, errors int
	firstError               string
	ttft, gaps, latency      []float64
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	i := int(p * float64(len(xs)-1))
	return float64(int(xs[i]*1000)) / 1000
}

func main() {
	target := flag.String("url", "", "base URL on 127.0.0.1")
	conc := flag.Int("c", 1, "concurrent workers")
	stream := flag.Bool("stream", true, "stream responses")
	tokens := flag.Int("tokens", 64, "max_tokens per request")
	warmup := flag.Duration("warmup", time.Second, "not measured")
	duration := flag.Duration("duration", 5*time.Second, "measured")
	key := flag.String("key", "", "API key (Bearer)")
	ramp := flag.Duration("ramp", 0, "spread the workers' first requests evenly over this long "+
		"(0: all at once, and streams of one length then keep arriving in waves of -c)")
	flag.Parse()
	if u, err := url.Parse(*target); err != nil || u.Hostname() != "127.0.0.1" {
		fmt.Fprintln(os.Stderr, "loadgen: -url must be http://127.0.0.1:PORT")
		os.Exit(2)
	}
	body, _ := json.Marshal(map[string]any{
		"model": "m", "messages": []map[string]string{{"role": "user", "content": "hi"}},
		"stream": *stream, "max_tokens": *tokens,
	})
	transport := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: *warmup + *duration + 60*time.Second}

	start := time.Now()
	measureFrom, stopAt := start.Add(*warmup), start.Add(*warmup+*duration)
	workers := make([]worker, *conc)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker, delay time.Duration) {
			defer wg.Done()
			time.Sleep(delay)
			for time.Now().Before(stopAt) {
				sent := time.Now()
				measured := sent.After(measureFrom)
				req, _ := http.NewRequest("POST", *target+"/v1/chat/completions", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if *key != "" {
					req.Header.Set("Authorization", "Bearer "+*key)
				}
				resp, err := client.Do(req)
				if err == nil && resp.StatusCode != 200 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
					resp.Body.Close()
				}
				if err != nil {
					if measured {
						w.errors++
						if w.firstError == "" {
							w.firstError = err.Error()
						}
					}
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if !*stream {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if measured && time.Now().Before(stopAt) {
						w.requests++
						w.latency = append(w.latency, float64(time.Since(sent).Microseconds())/1000)
					}
					continue
				}
				r := bufio.NewReader(resp.Body)
				last, n := sent, 0
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						break
					}
					if !bytes.HasPrefix(line, []byte("data: ")) || bytes.HasPrefix(line, []byte("data: [DONE]")) {
						continue
					}
					now := time.Now()
					// Tokens and gaps count by arrival inside the window (also those of a
					// stream sent before it); time to first token only for requests sent inside.
					if now.After(measureFrom) && now.Before(stopAt) {
						ms := float64(now.Sub(last).Microseconds()) / 1000
						if n == 0 {
							if measured {
								w.ttft = append(w.ttft, ms)
							}
						} else {
							w.gaps = append(w.gaps, ms)
						}
						w.tokens++
					}
					last, n = now, n+1
				}
				resp.Body.Close()
				if measured && time.Now().Before(stopAt) {
					w.requests++
				}
			}
		}(&workers[i], time.Duration(i)*(*ramp)/time.Duration(*conc))
	}
	wg.Wait()

	res := result{Concurrency: *conc, Stream: *stream, Seconds: duration.Seconds()}
	var ttft, gaps, latency []float64
	for _, w := range workers {
		res.Requests += w.requests
		res.Tokens += w.tokens
		res.Errors += w.errors
		if res.FirstError == "" {
			res.FirstError = w.firstError
		}
		ttft, gaps, latency = append(ttft, w.ttft...), append(gaps, w.gaps...), append(latency, w.latency...)
	}
	res.ReqPerSec = float64(res.Requests) / res.Seconds
	res.TokPerSec = float64(res.Tokens) / res.Seconds
	res.TTFTP50Ms, res.TTFTP99Ms = pct(ttft, 0.5), pct(ttft, 0.99)
	res.GapP50Ms, res.GapP99Ms = pct(gaps, 0.5), pct(gaps, 0.99)
	res.LatencyP50Ms, res.LatencyP99Ms = pct(latency, 0.5), pct(latency, 0.99)
	json.NewEncoder(os.Stdout).Encode(res)
}
