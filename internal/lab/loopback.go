package lab

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The lab attacks only this machine. Its HTTP client checks the address
// each connection is about to be made to, after name resolution (a name
// that resolves elsewhere is refused too), and refuses anything that is
// not a loopback address.

// ErrNotLoopback is the refusal of a connection to another machine.
var ErrNotLoopback = errors.New("the attack lab only connects to loopback addresses (this machine)")

// IsLoopbackHost reports whether host names this machine: localhost, an
// address in 127.0.0.0/8, or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && addr.Unmap().IsLoopback()
}

// refuseNonLoopback is a net.Dialer Control function: it runs with the
// resolved address, just before the connection is made.
func refuseNonLoopback(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotLoopback, address)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Unmap().IsLoopback() {
		return fmt.Errorf("%w: refused %s", ErrNotLoopback, address)
	}
	return nil
}

// newTransport carries every request of the lab: loopback only, and no
// proxy (a proxy would be the one to connect, wherever it is).
func newTransport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, Control: refuseNonLoopback}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: timeout,
		MaxIdleConns:        8,
		IdleConnTimeout:     30 * time.Second,
	}
}

// client is an HTTP client of the lab with its own cookie jar (nil: none),
// a timeout, and no redirects followed: the lab reads every hop, as the
// attacks depend on where each one leads.
func (l *Lab) client(jar http.CookieJar) *http.Client {
	return &http.Client{
		Jar:           jar,
		Timeout:       l.settings.Timeout,
		Transport:     l.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
