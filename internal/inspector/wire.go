// Package inspector keeps the record the flow inspector (GET /flow) shows:
// one login, step by step, as it really happened. It sits beside the
// protocol code (internal/auth), not inside it:
//
//   - Listen puts a Wire into a request's context; the app's outbound HTTP
//     transport (Transport) copies every back-channel request and response
//     made with that context into it, redacted, as they were on the wire.
//   - The callback handler adds what it already holds (the authorization
//     URL, the callback's parameters, the verified login) and keeps the
//     Record beside the session (session attachments).
//   - The ID token checks are derived from the verified ID token.
//
// Nothing in this package ever holds the client secret or a whole token.
package inspector

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Exchange is one back-channel HTTP request and its response, as sent and
// received, with the secrets redacted (redact.go).
type Exchange struct {
	Method         string
	URL            string
	RequestHeader  []Header
	RequestBody    string
	Status         int // 0: no response (the request failed)
	ResponseHeader []Header
	ResponseBody   string
	SentAt         time.Time
	ReceivedAt     time.Time
}

// Header is one HTTP header line.
type Header struct{ Name, Value string }

// Wire collects the exchanges made on behalf of one request.
type Wire struct {
	mu        sync.Mutex
	exchanges []Exchange
}

// Exchanges returns what was recorded, in order.
func (w *Wire) Exchanges() []Exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Exchange(nil), w.exchanges...)
}

func (w *Wire) add(e Exchange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.exchanges = append(w.exchanges, e)
}

type wireKey struct{}

// Listen returns a context whose outbound calls (through Transport) are
// recorded into the returned Wire.
func Listen(ctx context.Context) (context.Context, *Wire) {
	w := &Wire{}
	return context.WithValue(ctx, wireKey{}, w), w
}

// maxBody bounds what is kept of a body: token and userinfo responses are a
// few KB; anything larger is cut.
const maxBody = 32 << 10

// Transport is an http.RoundTripper that records the requests made with a
// context from Listen, and passes every request on to Base unchanged.
type Transport struct {
	Base http.RoundTripper // nil: http.DefaultTransport
	Now  func() time.Time  // nil: time.Now
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base, now := t.Base, t.Now
	if base == nil {
		base = http.DefaultTransport
	}
	if now == nil {
		now = time.Now
	}
	wire, _ := req.Context().Value(wireKey{}).(*Wire)
	if wire == nil {
		return base.RoundTrip(req)
	}

	e := Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: requestHeaders(req), SentAt: now()}
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			e.RequestBody = redactForm(readUpTo(body))
		}
	}
	resp, err := base.RoundTrip(req)
	e.ReceivedAt = now()
	if err != nil {
		wire.add(e)
		return nil, err
	}
	// Read the start of the body for the record; the caller reads the
	// same bytes, then the rest of the original body.
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	e.Status = resp.StatusCode
	e.ResponseHeader = responseHeaders(resp)
	e.ResponseBody = redactJSON(truncate(raw))
	wire.add(e)
	return resp, nil
}

func readUpTo(r io.ReadCloser) string {
	defer r.Close()
	raw, _ := io.ReadAll(io.LimitReader(r, maxBody+1))
	return string(truncate(raw))
}

func truncate(raw []byte) []byte {
	if len(raw) > maxBody {
		return append(raw[:maxBody:maxBody], []byte("…(cut)")...)
	}
	return raw
}

type readCloser struct {
	io.Reader
	io.Closer
}
