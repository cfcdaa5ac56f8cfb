package main

import (
	"bytes"
	"html/template"
	"net/http"
)

// pageView is everything a page of the seed shows.
type pageView struct {
	Title           string
	Message         string // an error page's sentence
	LoggedIn        bool
	Username        string // from userinfo, when it answered
	UserinfoProblem string
}

// ladderURL is the main app's security ladder: the same login done right.
const ladderURL = "http://localhost:3000/ladder"

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · seed app (deliberately insecure)</title>
<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; padding: 1rem; max-width: 42rem; color: #1a1a1a; background: #fff; }
.warning { border: 3px solid #8a1c1c; background: #fdecea; padding: 0.75rem 1rem; }
a { color: #0b4f9c; }
nav a { font-weight: bold; }
</style>
</head>
<body>
<header>
<p class="warning" role="note" data-testid="insecure-warning"><strong>Deliberately insecure.</strong>
This is the seed Flask example ported to Go as it was. It checks almost nothing, and it exists only to be
attacked in the attack lab. Never use it for anything else. For the same login done right, see the main
app's <a href="{{.LadderURL}}">security ladder</a>.</p>
<nav aria-label="Account">{{if .LoggedIn}}<a href="/logout" data-testid="nav-logout">Log out</a>{{else}}<a href="/login" data-testid="nav-login">Log in</a>{{end}}</nav>
</header>
<main>
<h1>{{.Title}}</h1>
{{if .Message}}<p data-testid="error-message">{{.Message}}</p><p><a href="/">Back to the start</a></p>
{{else if .LoggedIn}}<p>Status: <strong data-testid="login-state">logged in</strong>{{if .Username}} as <strong data-testid="username">{{.Username}}</strong>{{end}}.</p>
{{if .UserinfoProblem}}<p data-testid="userinfo-problem">{{.UserinfoProblem}}</p>{{end}}
<p>This app holds an access token for you, and that is all it checked. The token sits in the cookie
<code>seed_session</code>, signed but not encrypted: the part before the dot is base64url-encoded JSON that
anyone who sees the cookie can read.</p>
{{else}}<p>Status: <strong data-testid="login-state">logged out</strong>.</p>
{{end}}</main>
</body>
</html>
`))

// page renders the view into a buffer first, so that a failing template
// never leaves half a page with a 200.
func (s *seed) page(w http.ResponseWriter, status int, v pageView) {
	var buf bytes.Buffer
	data := struct {
		pageView
		LadderURL string
	}{v, ladderURL}
	if err := pageTemplate.Execute(&buf, data); err != nil {
		s.log.Error("rendering a page", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
