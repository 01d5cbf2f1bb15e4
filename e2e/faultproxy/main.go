// faultproxy sits between the operator and the e2e cluster's kube-apiserver and injects write faults on demand:
// a write that lands but loses its answer, and writes to some paths refused for a while. Everything else (reads,
// watches, Lease renewals) passes through untouched. Started by start_faultproxy in e2e/lib.sh.
//
// Usage: faultproxy -listen 127.0.0.1:PORT -control 127.0.0.1:PORT2 -upstream https://127.0.0.1:APISERVER -ca CA_FILE
//
// Control API on -control (every answer is the /stats JSON, or {"error": ...} with 400):
//
//	POST /lose-next-write?path=RE[&bodyLacks=S][&thenRefuseSeconds=N]
//	     the next PUT/PATCH/POST whose URL path matches RE (and whose body does not contain S) is forwarded; if the
//	     apiserver accepts it (2xx) its answer is dropped and the client connection closed without a response, then
//	     writes matching RE are refused for N seconds. A non-2xx answer (nothing committed) is passed on and the
//	     fault stays armed, so a fired fault always means "the write landed".
//	POST /refuse-writes?path=RE&seconds=N   PUT/PATCH/POST/DELETE matching RE get a 503 Status for N seconds
//	POST /clear                             disarms everything
//	GET  /stats                             {"forwarded","lostAnswers","refusedWrites","armed","refusingUntil"}
//
// Request and response bodies and headers are never logged: they carry tokens.
//
// Clients must send their bearer token over plain http:// to the proxy. The operator's fabric8 client does; kubectl,
// helm and client-go do not (they only send tokens over TLS), so through the proxy they are system:anonymous.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// loseFault is the armed one-shot "land but lose the answer" fault. Compared by pointer, so a request claimed by
// a fault that /clear (or a new arm) replaced meanwhile passes through.
type loseFault struct {
	path          *regexp.Regexp
	bodyLacks     string
	refuseSeconds int
	inFlight      bool // a matching write is at the apiserver; others pass, so only one answer is ever lost
}

type refusal struct {
	path  *regexp.Regexp
	until time.Time
}

type faults struct {
	mu            sync.Mutex
	lose          *loseFault
	refuse        *refusal
	forwarded     int64
	lostAnswers   int64
	refusedWrites int64
}

type stats struct {
	Forwarded     int64  `json:"forwarded"`
	LostAnswers   int64  `json:"lostAnswers"`
	RefusedWrites int64  `json:"refusedWrites"`
	Armed         bool   `json:"armed"`
	RefusingUntil string `json:"refusingUntil"`
}

func (f *faults) stats() stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := stats{Forwarded: f.forwarded, LostAnswers: f.lostAnswers, RefusedWrites: f.refusedWrites, Armed: f.lose != nil}
	if f.refuse != nil && time.Now().Before(f.refuse.until) {
		s.RefusingUntil = f.refuse.until.UTC().Format(time.RFC3339)
	}
	return s
}

// refuses reports whether a write to path is inside an active refusal, and counts it.
func (f *faults) refuses(path string) (bool, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse == nil || !time.Now().Before(f.refuse.until) || !f.refuse.path.MatchString(path) {
		return false, time.Time{}
	}
	f.refusedWrites++
	return true, f.refuse.until
}

// armedFor returns the armed fault if it is free and its path matches (the body is checked by the caller, outside
// the lock).
func (f *faults) armedFor(path string) *loseFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lose == nil || f.lose.inFlight || !f.lose.path.MatchString(path) {
		return nil
	}
	return f.lose
}

// claim marks lf in flight if it is still the armed, free fault (another write may have taken it meanwhile).
func (f *faults) claim(lf *loseFault) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lose != lf || lf.inFlight {
		return false
	}
	lf.inFlight = true
	return true
}

// release gives back a claimed fault whose write did not land (non-2xx, or the apiserver was unreachable).
func (f *faults) release(lf *loseFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lose == lf {
		lf.inFlight = false
	}
}

// fire consumes lf once its write has landed: counts the lost answer and starts the follow-up refusal. False if
// lf was cleared or replaced while the write was at the apiserver (then the answer passes).
func (f *faults) fire(lf *loseFault) (bool, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lose != lf {
		return false, time.Time{}
	}
	f.lose = nil
	f.lostAnswers++
	if lf.refuseSeconds > 0 {
		// Counted from the loss, not the arming: the client's retry is what must meet the refusal.
		f.refuse = &refusal{path: lf.path, until: time.Now().Add(time.Duration(lf.refuseSeconds) * time.Second)}
		return true, f.refuse.until
	}
	return true, time.Time{}
}

func (f *faults) countForwarded() {
	f.mu.Lock()
	f.forwarded++
	f.mu.Unlock()
}

type ctxKey struct{}

// errLostAnswer makes ReverseProxy drop a landed write's answer and hand over to errorHandler, which closes the
// connection.
var errLostAnswer = errors.New("answer dropped by faultproxy")

// refusedBody has the shape of kube-apiserver's own Status errors, so clients take their usual 503 path.
const refusedBody = `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected by faultproxy","reason":"ServiceUnavailable","code":503}` + "\n"

type proxy struct {
	faults *faults
	rp     *httputil.ReverseProxy
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch r.Method {
	case http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete:
		// A refused write never reaches the apiserver, so it is checked before the lose fault (which needs a write
		// that lands).
		if refused, until := p.faults.refuses(path); refused {
			log.Printf("refused %s %s with 503 (refusing until %s)", r.Method, path, until.UTC().Format(time.RFC3339))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, refusedBody)
			return
		}
		if r.Method != http.MethodDelete {
			if lf := p.faults.armedFor(path); lf != nil && p.bodyLacks(r, lf.bodyLacks) && p.faults.claim(lf) {
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, lf))
			}
		}
	}
	p.faults.countForwarded()
	p.rp.ServeHTTP(w, r)
}

// bodyLacks reads the request body (writes are small: the apiserver caps them at 3 MiB) and puts it back for
// forwarding; true if it does not contain s.
func (p *proxy) bodyLacks(r *http.Request, s string) bool {
	if s == "" || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	if err != nil {
		// The client broke off; forwarding the partial body fails as it would without the proxy.
		return false
	}
	return !bytes.Contains(b, []byte(s))
}

func (p *proxy) modifyResponse(res *http.Response) error {
	lf, _ := res.Request.Context().Value(ctxKey{}).(*loseFault)
	if lf == nil {
		return nil
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		p.faults.release(lf)
		log.Printf("still armed: %s %s was answered %d (nothing landed), answer passed on",
			res.Request.Method, res.Request.URL.Path, res.StatusCode)
		return nil
	}
	fired, until := p.faults.fire(lf)
	if !fired {
		return nil
	}
	// Read the whole answer, so the apiserver finished the request before the client learns anything.
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	then := ""
	if !until.IsZero() {
		then = fmt.Sprintf("; refusing writes to %s until %s", lf.path, until.UTC().Format(time.RFC3339))
	}
	log.Printf("lost the answer to %s %s (apiserver said %d); client connection closed%s",
		res.Request.Method, res.Request.URL.Path, res.StatusCode, then)
	return errLostAnswer
}

func (p *proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, errLostAnswer) {
		if lf, _ := r.Context().Value(ctxKey{}).(*loseFault); lf != nil {
			p.faults.release(lf)
		}
		if r.Context().Err() != nil {
			return // the client went away; nobody to answer
		}
		log.Printf("upstream error for %s %s: %v; client connection closed", r.Method, r.URL.Path, err)
	}
	// No HTTP answer at all: to the client this looks like the network or the apiserver failing, never like a
	// status the apiserver could have sent. An unreachable apiserver gets the same treatment (not ReverseProxy's 502),
	// so the suites see what they would see without the proxy.
	conn, _, herr := http.NewResponseController(w).Hijack()
	if herr != nil {
		// Not hijackable (cannot happen on HTTP/1.1); aborting the handler also drops the connection.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // reset rather than a clean close: a plain "connection reset", like a dying apiserver
	}
	conn.Close()
}

func newProxy(upstream *url.URL, roots *x509.CertPool, f *faults) *proxy {
	p := &proxy{faults: f}
	transport := &http.Transport{
		Proxy:               nil, // never an environment proxy: the apiserver is on loopback
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		// HTTP/2 to the apiserver, as kubectl and client-go use it; pings notice a dead connection under a watch.
		ForceAttemptHTTP2:   true,
		HTTP2:               &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream) // Host becomes the apiserver's; Authorization and all other headers are kept
			// A client offering h2c would be forwarded as an upgrade request; the apiserver speaks TLS only.
			if pr.Out.Header.Get("Upgrade") == "h2c" {
				pr.Out.Header.Del("Upgrade")
				pr.Out.Header.Del("Connection")
			}
		},
		Transport:      transport,
		FlushInterval:  -1, // watches stream events as they come
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
	}
	return p
}

// control serves the fault control API.
func control(f *faults) http.Handler {
	mux := http.NewServeMux()
	answer := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f.stats())
	}
	bad := func(w http.ResponseWriter, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	// faultParams reads the query parameters every fault needs: the path regexp and the named duration in seconds.
	faultParams := func(q url.Values, name string, required bool) (*regexp.Regexp, int, error) {
		if q.Get("path") == "" {
			return nil, 0, errors.New("path (a Go regexp on the URL path) is required")
		}
		re, err := regexp.Compile(q.Get("path"))
		if err != nil {
			return nil, 0, err
		}
		v := q.Get(name)
		if v == "" && !required {
			return re, 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (required && n == 0) {
			return nil, 0, fmt.Errorf("%s must be a positive number of seconds", name)
		}
		return re, n, nil
	}

	mux.HandleFunc("POST /lose-next-write", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		re, n, err := faultParams(q, "thenRefuseSeconds", false)
		if err != nil {
			bad(w, err.Error())
			return
		}
		f.mu.Lock()
		f.lose = &loseFault{path: re, bodyLacks: q.Get("bodyLacks"), refuseSeconds: n}
		f.mu.Unlock()
		// The bodyLacks text itself is not logged: it is the test's choice and may be anything.
		detail := ""
		if q.Get("bodyLacks") != "" {
			detail = " whose body lacks the given text"
		}
		if n > 0 {
			detail += fmt.Sprintf(", then refuse writes to it for %ds", n)
		}
		log.Printf("armed: lose the answer to the next write to %s%s", re, detail)
		answer(w)
	})
	mux.HandleFunc("POST /refuse-writes", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		re, n, err := faultParams(q, "seconds", true)
		if err != nil {
			bad(w, err.Error())
			return
		}
		f.mu.Lock()
		f.refuse = &refusal{path: re, until: time.Now().Add(time.Duration(n) * time.Second)}
		f.mu.Unlock()
		log.Printf("armed: refuse writes to %s for %ds", re, n)
		answer(w)
	})
	mux.HandleFunc("POST /clear", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.lose, f.refuse = nil, nil
		f.mu.Unlock()
		log.Printf("cleared all faults")
		answer(w)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) { answer(w) })
	return mux
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "plain HTTP address the clients' kubeconfig points at")
	controlAddr := flag.String("control", "", "address of the fault control API")
	upstreamURL := flag.String("upstream", "", "kube-apiserver URL, https://127.0.0.1:PORT")
	caFile := flag.String("ca", "", "CA file that verifies the apiserver's certificate")
	flag.Parse()
	log.SetPrefix("faultproxy: ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	if *controlAddr == "" || *upstreamURL == "" || *caFile == "" {
		fmt.Fprintln(os.Stderr, "usage: faultproxy -listen HOST:PORT -control HOST:PORT -upstream https://HOST:PORT -ca FILE")
		os.Exit(2)
	}
	upstream, err := url.Parse(*upstreamURL)
	if err != nil || upstream.Scheme != "https" || upstream.Host == "" {
		log.Fatalf("-upstream %q: want https://host:port", *upstreamURL)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		log.Fatalf("-ca %s: no PEM certificate in it", *caFile)
	}

	f := &faults{}
	// Listen on both before serving either, so a busy port fails the start instead of half a proxy running.
	pl, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	cl, err := net.Listen("tcp", *controlAddr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("proxying http://%s -> %s; control API on http://%s", pl.Addr(), upstream, cl.Addr())

	// No read/write timeouts on the proxy side: watches stay open for many minutes.
	ps := &http.Server{Handler: newProxy(upstream, roots, f), ReadHeaderTimeout: 30 * time.Second}
	cs := &http.Server{Handler: control(f), ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 2)
	go func() { errs <- ps.Serve(pl) }()
	go func() { errs <- cs.Serve(cl) }()
	log.Fatal(<-errs)
}
