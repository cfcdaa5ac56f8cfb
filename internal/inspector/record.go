package inspector

import (
	"encoding/json"
	"time"
)

// Record is one completed login as the flow inspector shows it. Only a
// login that succeeded has one: a failed check ends the login instead.
type Record struct {
	// Step 1: the authorization request the browser was sent with.
	AuthorizationURL string
	StartedAt        time.Time
	// Step 1, with pushed authorization requests (RFC 9126): the request
	// as pushed on the back channel during /login, and the answer.
	Pushed []Exchange
	// Step 2: what the browser brought back to the redirect_uri.
	Callback Callback
	// Steps 3, 4 and 6: the back-channel calls, as on the wire.
	Exchanges []Exchange
	// Step 5: the ID token's checks, derived from the verified token.
	IDToken IDTokenReport
}

// Callback is the query of the callback request. Its state matched a login
// this browser had started (otherwise there would be no record).
type Callback struct {
	Code       string // single use, and already redeemed in step 3
	State      string
	Issuer     string // the iss parameter (RFC 9207); "" if absent
	ReceivedAt time.Time
}

// Encode and Decode turn a Record into the bytes kept beside the session.
func (r Record) Encode() ([]byte, error) { return json.Marshal(r) }

// Decode is the reverse of Encode.
func Decode(data []byte) (Record, error) {
	var r Record
	err := json.Unmarshal(data, &r)
	return r, err
}

// EncodeExchanges and DecodeExchanges keep exchanges heard before the
// callback (the pushed authorization request) as a string, beside the
// pending login. A string that does not decode gives nothing.
func EncodeExchanges(exchanges []Exchange) string {
	data, _ := json.Marshal(exchanges)
	return string(data)
}

// DecodeExchanges is the reverse of EncodeExchanges.
func DecodeExchanges(s string) []Exchange {
	var exchanges []Exchange
	if s == "" || json.Unmarshal([]byte(s), &exchanges) != nil {
		return nil
	}
	return exchanges
}
