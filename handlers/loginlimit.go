package handlers

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
)

// maxLoginClients bounds the clients the limit tracks at once (about 250
// bytes each): beyond, new clients share one limit (internal/ratelimit).
const maxLoginClients = 10_000

// limitLogins lets each client start only so many logins a minute
// (LOGIN_RATE_LIMIT). Every GET /login stores a session with a pending
// login and, with PAR (RFC 9126), signs and pushes a request to the
// provider: without a limit, anyone could make the app do both as fast as
// they can send requests. Over the limit: 429 with Retry-After (RFC 6585
// section 4), before any session or push.
func (app *App) limitLogins(next http.Handler) http.Handler {
	if app.loginLimit == nil { // LOGIN_RATE_LIMIT=off
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := app.loginLimit.Allow(clientKey(r.RemoteAddr), app.now())
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		seconds := max(1, int(math.Ceil(wait.Seconds())))
		waitText := "a second"
		if seconds > 1 {
			waitText = strconv.Itoa(seconds) + " seconds"
		}
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		app.failf(w, r, errTooManyRequests, problem{
			logAs: "login refused: rate limit",
			title: "Too many logins at once",
			message: "Your address has started more logins in the last minute than this app allows. " +
				"Please wait " + waitText + ", then try again.",
			retryURL:  r.URL.RequestURI(),
			retryText: "Try again",
		}, "LOGIN_RATE_LIMIT reached; next login in %d s", seconds)
	})
}

// clientKey is whom the limit counts: the address the connection comes
// from. X-Forwarded-For is not used: any client can write it, and the app
// has no setting that names a proxy to trust. (Behind a reverse proxy every
// client has the proxy's address: limit there, and set
// LOGIN_RATE_LIMIT=off.) An IPv6 client counts by its /64, which one
// subscriber usually holds whole.
func clientKey(remoteAddr string) string {
	addrPort, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return remoteAddr // not an IP connection (a test, a Unix socket)
	}
	addr := addrPort.Addr().Unmap().WithZone("")
	if addr.Is6() {
		prefix, _ := addr.Prefix(64)
		return prefix.String()
	}
	return addr.String()
}
