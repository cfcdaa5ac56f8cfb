package inspector

import (
	"encoding/json"
	"time"
)

// Record is one completed login as the flow inspector keeps it. Only a
// login that succeeded has one: a failed check ends the login instead.
type Record struct {
	// Step 1: the authorization request the browser was sent with.
	AuthorizationURL string
	StartedAt        time.Time
	// Step 1a, with pushed authorization requests (RFC 9126): the request
	// as pushed on the back channel during /login, and the answer.
	Pushed []Exchange
	// Step 2: what the browser brought back to the redirect_uri.
	Callback Callback
	// Steps 3, 4 and 6: the back-channel calls of the callback.
	Exchanges []Exchange
	// Step 5: what the verified ID token said, and the checks internal/auth
	// reports it made (auth.Login.Checked).
	IDToken IDTokenFacts
	Checked []string
}

// Callback is the query of the callback request. Its state matched a login
// this browser had started (otherwise there would be no record).
type Callback struct {
	Code       string // single use, and already redeemed in step 3
	State      string
	Issuer     string // the iss parameter (RFC 9207); "" if absent
	ReceivedAt time.Time
}

// IDTokenFacts are the JWS header and the claims the checks read, as text.
type IDTokenFacts struct {
	Algorithm string            // the header's alg
	KeyID     string            // the header's kid: which key of the JWKS signed it
	Claims    map[string]string // iss, aud, exp, sub, iat, azp, nonce, at_hash; absent ones missing
}

func (r Record) encode() ([]byte, error) { return json.Marshal(r) }

func decodeRecord(data []byte) (Record, error) {
	var r Record
	err := json.Unmarshal(data, &r)
	return r, err
}
