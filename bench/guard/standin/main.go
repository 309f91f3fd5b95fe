// A stand-in for an inference engine, for the guard benchmark only: an OpenAI-style
// /v1/chat/completions that streams one SSE token every -pace (a decode step), or answers
// at once without streaming, and /health. It is not an engine; it exists so the benchmark
// measures the guard, not a model. Listens on 127.0.0.1 only.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"
)

const chunk = `data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"tok"}}]}` + "\n\n"
const final = `{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

type request struct {
	Stream    bool `json:"stream"`
	MaxTokens int  `json:"max_tokens"`
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any; the chosen one is printed)")
	pace := flag.Duration("pace", 20*time.Millisecond, "time between tokens of one stream (0: as fast as possible)")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(final))
			return
		}
		n := req.MaxTokens
		if n <= 0 {
			n = 16
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		flusher := w.(http.Flusher)
		start := time.Now()
		for i := 0; i < n; i++ {
			if *pace > 0 && i > 0 {
				// Paced from the stream's start, so scheduling delays do not accumulate.
				time.Sleep(time.Until(start.Add(time.Duration(i) * *pace)))
			}
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
			flusher.Flush()
		}
		w.Write([]byte("data: [DONE]\n\n"))
	})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	log.Fatal(http.Serve(ln, mux))
}
