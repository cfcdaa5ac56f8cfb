package lab

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// loginForm is a provider's username and password form, as a browser
// would submit it: its action, its fields (hidden ones included), and the
// names of the username and password inputs.
type loginForm struct {
	action             *url.URL
	fields             url.Values
	username, password string
}

// findLoginForm finds the first form of page (served at base) that has a
// password input: Keycloak's is form#kc-form-login, with inputs username
// and password.
func findLoginForm(page []byte, base *url.URL) (loginForm, bool) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return loginForm{}, false
	}
	var found loginForm
	var ok bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if ok {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			if f, isLogin := readForm(n, base); isLogin {
				found, ok = f, true
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found, ok
}

// readForm reads one form; isLogin says it has a text and a password input.
func readForm(form *html.Node, base *url.URL) (f loginForm, isLogin bool) {
	action, err := base.Parse(attr(form, "action"))
	if err != nil || !strings.EqualFold(attr(form, "method"), "post") {
		return loginForm{}, false
	}
	f = loginForm{action: action, fields: url.Values{}}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			name := attr(n, "name")
			switch strings.ToLower(attr(n, "type")) {
			case "password":
				f.password = name
			case "text", "email", "":
				if f.username == "" {
					f.username = name
				}
			case "checkbox", "radio", "submit", "button":
				return // not sent unless chosen
			}
			f.fields.Set(name, attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return f, f.username != "" && f.password != ""
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}
