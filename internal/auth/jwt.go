package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// DecodedJWT is a JWT split into its parts and base64-decoded, WITHOUT any
// signature check. Use it only to display a token, or to read a token that
// came straight from the provider's token endpoint.
type DecodedJWT struct {
	Header  []byte
	Payload []byte
}

// DecodeJWT splits a compact JWS (header.payload.signature).
func DecodeJWT(raw string) (DecodedJWT, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return DecodedJWT{}, errors.New("not a JWT: want three dot-separated parts")
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return DecodedJWT{}, errors.New("not a JWT: header is not base64url")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return DecodedJWT{}, errors.New("not a JWT: payload is not base64url")
	}
	if !json.Valid(header) || !json.Valid(payload) {
		return DecodedJWT{}, errors.New("not a JWT: header or payload is not JSON")
	}
	return DecodedJWT{Header: header, Payload: payload}, nil
}

// Subject returns the sub claim, or "" when there is none.
func (j DecodedJWT) Subject() string {
	var c struct {
		Subject string `json:"sub"`
	}
	json.Unmarshal(j.Payload, &c)
	return c.Subject
}
