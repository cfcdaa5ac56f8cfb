// Package inspector is the flow inspector (GET /flow): it records one login,
// step by step, as it really happened, and shows it to the user who made it.
// It hangs beside the protocol path, never inside it:
//
//   - a middleware (Recorder, recorder.go) around /login and /callback, mounted
//     only when the token pages are on (TOKEN_PAGES);
//   - an HTTP transport (Transport, this file) in the app's client to the
//     provider, which copies the back-channel messages of a request the
//     Recorder listens to;
//   - a store wrapper (recorder.go) that forgets a session's record when the
//     session ends.
//
// The login and callback handlers and internal/auth never call it. What it
// keeps comes from an allow-list of fields (fields.go): never the client
// secret, a whole token or a body it could not read.
package inspector

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Exchange is one back-channel HTTP request and its response, as far as the
// inspector keeps them.
type Exchange struct {
	Method         string
	URL            string
	RequestHeader  []Field
	Request        Body
	Status         int // 0: no response (the request failed)
	ResponseHeader []Field
	Response       Body
	SentAt         time.Time
	ReceivedAt     time.Time
}

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
// recorded into the returned Wire. Only the Recorder listens.
func Listen(ctx context.Context) (context.Context, *Wire) {
	w := &Wire{}
	return context.WithValue(ctx, wireKey{}, w), w
}

// Listening reports whether ctx is one the Recorder listens to: only then
// does Transport read, copy and redact what goes over the wire.
func Listening(ctx context.Context) bool {
	_, ok := ctx.Value(wireKey{}).(*Wire)
	return ok
}

// maxBody bounds what is read of a body for the record: token and userinfo
// responses are a few KB. A longer body is not kept at all (fields.go).
const maxBody = 32 << 10

// Transport is an http.RoundTripper that records the requests made with a
// context from Listen, and passes every request on to Base unchanged. A
// request made with any other context costs one context lookup.
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

	e := Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: requestHeaders(req.Header), SentAt: now()}
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			raw := readStart(body, req.ContentLength)
			body.Close()
			e.Request = keepForm(raw, req.ContentLength)
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
	raw := readStart(resp.Body, resp.ContentLength)
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	e.Status = resp.StatusCode
	e.ResponseHeader = responseHeaders(resp.Header)
	e.Response = keepJSON(raw, resp.ContentLength)
	wire.add(e)
	return resp, nil
}

// readStart reads a body up to one byte more than maxBody, into a buffer of
// the announced length when there is one (no growing and copying).
func readStart(body io.Reader, contentLength int64) []byte {
	var buf bytes.Buffer
	if contentLength > 0 {
		buf.Grow(int(min(contentLength, maxBody+1)) + bytes.MinRead) // ReadFrom wants MinRead free to see the end
	}
	buf.ReadFrom(io.LimitReader(body, maxBody+1))
	return buf.Bytes()
}

type readCloser struct {
	io.Reader
	io.Closer
}

// sizeText says how long a body was: its Content-Length when known.
func sizeText(read int, contentLength int64) string {
	if contentLength > 0 {
		return strconv.FormatInt(contentLength, 10) + " bytes"
	}
	if read > maxBody {
		return "more than " + strconv.Itoa(maxBody) + " bytes"
	}
	return strconv.Itoa(read) + " bytes"
}
