package lab

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ID token tampering: the learner edits the header and the claims of their
// own ID token, and chooses how the result is signed. Forge puts it
// together; the app's own checks (auth.Client.CheckIDToken) then judge it.

// Signature says how a forged token is signed.
type Signature string

const (
	// KeepSignature keeps the provider's signature as it was: it still
	// matches an unchanged token, and nothing else.
	KeepSignature Signature = "keep"
	// AlgNone says "alg": "none" with an empty signature, the unsecured
	// JWT of RFC 7519 section 6.
	AlgNone Signature = "none"
	// LabKey signs with RS256 and a key the lab made for the purpose:
	// a real signature, by a key that is not the provider's.
	LabKey Signature = "lab-key"
)

// Signatures are the choices, in the order the page offers them.
func Signatures() []Signature { return []Signature{KeepSignature, AlgNone, LabKey} }

// ErrBadEdit is an edit Forge cannot use (not a JSON object, say).
var ErrBadEdit = errors.New("the edited token cannot be put together")

var b64 = base64.RawURLEncoding

// SplitJWT returns a compact JWT's header and claims as indented JSON,
// for a person to edit.
func SplitJWT(raw string) (header, claims string, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("%w: not a compact JWT", ErrBadEdit)
	}
	out := make([]string, 2)
	for i, part := range parts[:2] {
		decoded, err := b64.DecodeString(part)
		if err != nil {
			return "", "", fmt.Errorf("%w: part %d is not base64url", ErrBadEdit, i+1)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, decoded, "", "  "); err != nil {
			return "", "", fmt.Errorf("%w: part %d is not JSON", ErrBadEdit, i+1)
		}
		out[i] = indented.String()
	}
	return out[0], out[1], nil
}

// Forge puts a token together from header and claims (JSON objects, as
// edited) and signs it as sig says. original is the token they were read
// from: a part left as it was (whitespace aside) keeps its exact bytes, so
// an unchanged token with KeepSignature is the original token.
func (l *Lab) Forge(original, header, claims string, sig Signature) (string, error) {
	parts := strings.Split(original, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: the original is not a compact JWT", ErrBadEdit)
	}
	headerJSON, err := compactObject("header", header)
	if err != nil {
		return "", err
	}
	claimsJSON, err := compactObject("claims", claims)
	if err != nil {
		return "", err
	}
	payload := segment(parts[1], claimsJSON)

	switch sig {
	case KeepSignature:
		return segment(parts[0], headerJSON) + "." + payload + "." + parts[2], nil
	case AlgNone:
		h, err := withAlg(headerJSON, "none")
		if err != nil {
			return "", err
		}
		return b64.EncodeToString(h) + "." + payload + ".", nil
	case LabKey:
		key, err := l.forgeryKey()
		if err != nil {
			return "", err
		}
		// The kid stays what the learner left: a forger claims the
		// provider's key and signs with another.
		h, err := withAlg(headerJSON, "RS256")
		if err != nil {
			return "", err
		}
		input := b64.EncodeToString(h) + "." + payload
		signature, err := key.sign(input)
		if err != nil {
			return "", err
		}
		return input + "." + b64.EncodeToString(signature), nil
	default:
		return "", fmt.Errorf("%w: unknown signature choice %q", ErrBadEdit, sig)
	}
}

// compactObject checks that text is one JSON object and returns it compact.
func compactObject(what, text string) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%w: the %s are not a JSON object", ErrBadEdit, what)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil {
		return nil, fmt.Errorf("%w: the %s are not JSON", ErrBadEdit, what)
	}
	return compact.Bytes(), nil
}

// segment is the base64url part for compactJSON, the original part when
// it says the same (so an unedited part keeps its exact bytes).
func segment(original string, compactJSON []byte) string {
	if decoded, err := b64.DecodeString(original); err == nil {
		var was bytes.Buffer
		if json.Compact(&was, decoded) == nil && bytes.Equal(was.Bytes(), compactJSON) {
			return original
		}
	}
	return b64.EncodeToString(compactJSON)
}

// withAlg is the header with "alg" set to alg.
func withAlg(headerJSON []byte, alg string) ([]byte, error) {
	var h map[string]any
	if err := json.Unmarshal(headerJSON, &h); err != nil {
		return nil, fmt.Errorf("%w: the header is not a JSON object", ErrBadEdit)
	}
	h["alg"] = alg
	return json.Marshal(h)
}

// forgeryKey is the lab's own RSA key, made on first use.
type forgeryKey struct{ private *rsa.PrivateKey }

func (l *Lab) forgeryKey() (*forgeryKey, error) {
	l.keyOnce.Do(func() {
		private, err := rsa.GenerateKey(rand.Reader, 2048)
		l.key, l.keyErr = &forgeryKey{private: private}, err
	})
	return l.key, l.keyErr
}

// sign is RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3).
func (k *forgeryKey) sign(input string) ([]byte, error) {
	sum := sha256.Sum256([]byte(input))
	return rsa.SignPKCS1v15(rand.Reader, k.private, crypto.SHA256, sum[:])
}
