package auth

import (
	"errors"
	"fmt"

	"golang.org/x/oauth2"
)

// The kinds of failure the protocol code reports. Handlers choose the HTTP
// status from the kind (errors.Is); the wrapped message says what happened,
// in words that are safe to log: never a token, a code or the client secret.
var (
	// ErrNotReady: discovery has not succeeded yet (the provider was down or
	// slow when the app started). The user can simply try again (503).
	ErrNotReady = errors.New("the identity provider has not been reached yet")

	// ErrRejected: something the browser or the provider sent failed a
	// check (a forged or replayed value, a tampered token). The login is
	// refused (400).
	ErrRejected = errors.New("login rejected")

	// ErrProvider: the provider could not be reached, timed out or answered
	// with a server error (502).
	ErrProvider = errors.New("identity provider failed")

	// ErrSessionEnded: the provider no longer honours the user's refresh
	// token (logout elsewhere, admin action, expiry), or a refresh came back
	// about someone else. The app's session must end too (401).
	ErrSessionEnded = errors.New("the session at the identity provider has ended")

	// ErrNoRefreshToken: there is no refresh token to refresh with.
	ErrNoRefreshToken = errors.New("no refresh token: the provider did not issue one")
)

func rejected(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// providerError classifies a failed call to the token endpoint: a 4xx from
// the provider (invalid or replayed code, wrong verifier) means what we sent
// was refused; anything else means the provider is unreachable or broken.
func providerError(step string, err error) error {
	if errors.Is(err, ErrNotBound) {
		return fmt.Errorf("%w: %s: %w", ErrRejected, step, ErrNotBound) // both kinds
	}
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) && retrieve.Response != nil && retrieve.Response.StatusCode < 500 {
		return rejected("%s refused by the provider: %d %s", step, retrieve.Response.StatusCode, retrieve.ErrorCode)
	}
	if errors.As(err, &retrieve) && retrieve.Response != nil {
		return fmt.Errorf("%w: %s failed at the provider: %d", ErrProvider, step, retrieve.Response.StatusCode)
	}
	return fmt.Errorf("%w: %s failed: provider unreachable or timed out", ErrProvider, step)
}
