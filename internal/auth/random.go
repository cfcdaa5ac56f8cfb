package auth

import (
	"crypto/rand"
	"encoding/base64"
)

// randomValue returns 32 bytes (256 bits) from crypto/rand, base64url
// encoded: unguessable values for state and nonce.
func randomValue() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
