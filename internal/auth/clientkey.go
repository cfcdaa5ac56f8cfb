package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// SigningKey is a private key of the app itself, with its public half as a
// JWK: the key of private_key_jwt client authentication (clientauth.go)
// and the DPoP key (dpop.go). Its key id is its JWK thumbprint (RFC 7638),
// so a new key always has a new kid.
type SigningKey struct {
	signer crypto.Signer
	alg    jose.SignatureAlgorithm
	public jose.JSONWebKey
}

// NewSigningKey wraps an ECDSA P-256 (ES256) or RSA (RS256) private key.
func NewSigningKey(signer crypto.Signer) (*SigningKey, error) {
	var alg jose.SignatureAlgorithm
	switch k := signer.Public().(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("an ECDSA key must be on P-256 (ES256)")
		}
		alg = jose.ES256
	case *rsa.PublicKey:
		alg = jose.RS256
	default:
		return nil, fmt.Errorf("unsupported key type %T: want ECDSA P-256 or RSA", k)
	}
	public := jose.JSONWebKey{Key: signer.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	public.KeyID = b64(thumb)
	return &SigningKey{signer: signer, alg: alg, public: public}, nil
}

// GenerateSigningKey makes a fresh ES256 key (ECDSA P-256).
func GenerateSigningKey() (*SigningKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigningKey(k)
}

// LoadOrCreateSigningKey reads a PKCS#8 PEM private key from path, or, when
// there is no file there yet, generates an ES256 key and writes it there
// (mode 0600), so that the key survives restarts and replicas can share
// it. created says which happened.
//
// The file is created exclusively (O_EXCL): of two replicas starting at
// once, one writes its key and the other reads that one, so both sign with
// the same key. A key file that the group or others may read is refused:
// whoever can read it can sign as this app.
func LoadOrCreateSigningKey(path string) (key *SigningKey, created bool, err error) {
	key, err = createKeyFile(path)
	if err == nil {
		return key, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, false, err
	}
	// The file exists; another replica may be writing it this moment.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		key, err = readKeyFile(path)
		if !errors.Is(err, errIncompleteKey) || time.Now().After(deadline) {
			return key, false, err
		}
	}
}

// createKeyFile writes a new ES256 key to path, failing with fs.ErrExist
// if the file is there already.
func createKeyFile(path string) (*SigningKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err // fs.ErrExist: read the one that is there
	}
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(path) // half a key must not stay behind for the next start
		return nil, fmt.Errorf("writing a new key to %s: %w", path, err)
	}
	return NewSigningKey(k)
}

// errIncompleteKey: the file holds no whole PEM block (yet).
var errIncompleteKey = errors.New("no complete PEM block")

// readKeyFile reads the key at path, if only its owner may read it.
func readKeyFile(path string) (*SigningKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	// Windows has no such mode bits (Go reports 0666 for every file).
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%s may be read by others than its owner (mode %04o): a private key must not be; run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: want a PEM block \"PRIVATE KEY\" (PKCS#8): %w", path, errIncompleteKey)
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: want a PEM block \"PRIVATE KEY\" (PKCS#8), got %q", path, block.Type)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", path)
	}
	return NewSigningKey(signer)
}

// Algorithm is the JWS algorithm the key signs with (ES256 or RS256).
func (k *SigningKey) Algorithm() string { return string(k.alg) }

// KeyID is the key's kid: its JWK thumbprint.
func (k *SigningKey) KeyID() string { return k.public.KeyID }

// PublicJWK is the public half, safe to publish.
func (k *SigningKey) PublicJWK() jose.JSONWebKey { return k.public }

// sign makes a compact JWS of claims with the given extra header fields.
func (k *SigningKey) sign(claims any, typ string, headers map[jose.HeaderKey]any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	for name, v := range headers {
		opts = opts.WithHeader(name, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.signer}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// ClientAssertion is a client assertion (RFC 7523 section 3, OpenID
// Connect Core 9 private_key_jwt): a JWT the client signs with its own
// key, saying "I am clientID" to audience, for one request only.
//
//	iss, sub  the client id: the client speaks about itself
//	aud       the provider (its issuer): no other server may accept it
//	jti       unique: the provider MAY keep the ones it has seen and refuse
//	          a replay (RFC 7523 section 3); Keycloak does
//	iat, exp  issued now, valid for a minute: a stolen one soon dies
func (k *SigningKey) ClientAssertion(clientID, audience string, now time.Time) (string, error) {
	claims := map[string]any{
		"iss": clientID,
		"sub": clientID,
		"aud": audience,
		"jti": randomValue(),
		"iat": now.Unix(),
		"exp": now.Add(ClientAssertionLifetime).Unix(),
	}
	return k.sign(claims, "JWT", map[jose.HeaderKey]any{"kid": k.public.KeyID})
}

// ClientAssertionLifetime is how long a client assertion is valid.
const ClientAssertionLifetime = 60 * time.Second

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
