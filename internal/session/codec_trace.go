package session

import "github.com/authcode-demo/authcode-demo/internal/auth"

// The login's trace (trace.go), field by field, like User in codec.go.

func (e *encoder) trace(t auth.LoginTrace) {
	e.string(t.Authorization.URL)
	e.time(t.Authorization.SentAt)

	e.string(t.Callback.Code)
	e.string(t.Callback.State)
	e.time(t.Callback.ReceivedAt)

	q := t.TokenRequest
	e.string(q.Endpoint)
	e.string(q.GrantType)
	e.string(q.Code)
	e.string(q.RedirectURI)
	e.string(q.CodeVerifier)
	e.string(q.ClientID)
	e.string(q.ClientAuth)
	e.time(q.SentAt)

	r := t.TokenResponse
	e.string(r.TokenType)
	e.string(r.ExpiresIn)
	e.string(r.RefreshExpiresIn)
	e.string(r.Scope)
	e.bool(r.AccessToken)
	e.bool(r.IDToken)
	e.bool(r.RefreshToken)
	e.time(r.ReceivedAt)

	i := t.IDToken
	e.string(i.Algorithm)
	e.string(i.KeyID)
	e.uint(uint64(len(i.Checks)))
	for _, c := range i.Checks {
		e.string(c.Name)
		e.string(c.Outcome)
		e.string(c.Value)
		e.string(c.Expected)
	}
	e.time(i.CheckedAt)

	u := t.UserInfo
	e.string(u.Endpoint)
	e.string(u.Subject)
	e.bool(u.SubjectMatches)
}

func (d *decoder) trace() auth.LoginTrace {
	var t auth.LoginTrace
	t.Authorization.URL = d.string()
	t.Authorization.SentAt = d.time()

	t.Callback.Code = d.string()
	t.Callback.State = d.string()
	t.Callback.ReceivedAt = d.time()

	q := &t.TokenRequest
	q.Endpoint = d.string()
	q.GrantType = d.string()
	q.Code = d.string()
	q.RedirectURI = d.string()
	q.CodeVerifier = d.string()
	q.ClientID = d.string()
	q.ClientAuth = d.string()
	q.SentAt = d.time()

	r := &t.TokenResponse
	r.TokenType = d.string()
	r.ExpiresIn = d.string()
	r.RefreshExpiresIn = d.string()
	r.Scope = d.string()
	r.AccessToken = d.bool()
	r.IDToken = d.bool()
	r.RefreshToken = d.bool()
	r.ReceivedAt = d.time()

	i := &t.IDToken
	i.Algorithm = d.string()
	i.KeyID = d.string()
	if n := d.count(); n > 0 {
		i.Checks = make([]auth.Check, n)
		for k := range i.Checks {
			i.Checks[k] = auth.Check{Name: d.string(), Outcome: d.string(), Value: d.string(), Expected: d.string()}
		}
	}
	i.CheckedAt = d.time()

	u := &t.UserInfo
	u.Endpoint = d.string()
	u.Subject = d.string()
	u.SubjectMatches = d.bool()
	return t
}
