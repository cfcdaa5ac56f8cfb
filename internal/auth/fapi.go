package auth

import "github.com/coreos/go-oidc/v3/oidc"

// FAPI 2.0 mode. The app has three options from the FAPI 2.0 Security
// Profile (PAR, private_key_jwt, DPoP; docs/fapi.md). With
// all three on, the app is a FAPI 2.0 client, and the profile's rule for
// signed tokens applies too: section 5.4.1, "Authorization servers,
// clients, and resource servers when creating or processing JWTs shall ...
// use PS256, ES256, or EdDSA (using the Ed25519 variant) algorithms". So
// in that mode an ID token (or a logout token) signed with RS256 is
// refused, whatever the provider advertises. With one or two options on,
// the app is not a FAPI client, and the provider's advertised algorithms
// apply as before.

// FAPISigningAlgs are the algorithms FAPI 2.0 allows (section 5.4.1).
var FAPISigningAlgs = []string{oidc.PS256, oidc.ES256, oidc.EdDSA}

// FAPI reports whether all three FAPI 2.0 options are on: pushed
// authorization requests (OIDC_PAR), private_key_jwt (OIDC_CLIENT_AUTH)
// and DPoP (OIDC_DPOP).
func (s Settings) FAPI() bool {
	return s.PAR && s.ClientKey != nil && s.DPoPKey != nil
}

// signingAlgs are the algorithms the ID token verifier accepts: FAPI's in
// FAPI mode, else nil for those the provider advertises (NewVerifier).
func (s Settings) signingAlgs() []string {
	if s.FAPI() {
		return FAPISigningAlgs
	}
	return nil
}
