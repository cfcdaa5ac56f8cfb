package inspector

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/display"
)

// The inspector fails closed: it keeps the fields it knows, each shown the
// way its list says, and of anything else only the name. A body it had to
// cut or cannot parse is not kept at all, only its size and why.

// Field is one named value of a message, as kept.
type Field struct{ Name, Value string }

// Body is a message body as kept.
type Body struct {
	JSON    bool    // a JSON object (else a form, application/x-www-form-urlencoded)
	Fields  []Field // in the order sent (forms) or by name (JSON); JSON values as JSON text
	NotKept string  // why the body is not kept ("" when it is), with its size
}

// Get returns the field's value: for JSON, strings without their quotes,
// other values as JSON text. "" when absent.
func (b Body) Get(name string) string {
	for _, f := range b.Fields {
		if f.Name != name {
			continue
		}
		var s string
		if b.JSON && json.Unmarshal([]byte(f.Value), &s) == nil {
			return s
		}
		return f.Value
	}
	return ""
}

// Text is the body as it went over the wire, from the kept fields.
func (b Body) Text() string {
	switch {
	case b.NotKept != "":
		return "(" + b.NotKept + ")"
	case b.JSON:
		var sb strings.Builder
		sb.WriteString("{")
		for i, f := range b.Fields {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("\n  " + strconvQuote(f.Name) + ": " + f.Value)
		}
		sb.WriteString("\n}")
		return sb.String()
	default:
		parts := make([]string, len(b.Fields))
		for i, f := range b.Fields {
			parts[i] = url.QueryEscape(f.Name) + "=" + url.QueryEscape(f.Value)
		}
		return strings.Join(parts, "&")
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// How each known field is kept. Anything not listed keeps its name only.
type keepAs int

const (
	asIs             keepAs = iota + 1
	secret                  // never kept: (redacted)
	token                   // only its start and length (display.Abbreviate)
	withoutSignature        // a JWT's header and claims, not its signature
)

// formFields are the fields of the requests the app sends: the authorization
// request (pushed, RFC 9126), the token request (RFC 6749 4.1.3, RFC 7636
// 4.5) and client authentication (RFC 7523). The code and the code_verifier
// are kept: both are spent once the login completed (a code works once,
// RFC 6749 4.1.2), and they are what a learner came to see.
var formFields = map[string]keepAs{
	"grant_type": asIs, "code": asIs, "redirect_uri": asIs, "code_verifier": asIs, "client_id": asIs,
	"response_type": asIs, "scope": asIs, "state": asIs, "nonce": asIs,
	"code_challenge": asIs, "code_challenge_method": asIs, "request_uri": asIs,
	"client_assertion_type": asIs, "client_assertion": withoutSignature,
	"client_secret": secret, "refresh_token": token,
}

// jsonFields are the fields of the provider's answers: the token response
// (RFC 6749 5.1, OpenID Connect Core 3.1.3.3), the pushed request's answer
// (RFC 9126 2.2), userinfo (Core 5.3.2) and errors (RFC 6749 5.2).
var jsonFields = map[string]keepAs{
	"token_type": asIs, "expires_in": asIs, "refresh_expires_in": asIs, "scope": asIs,
	"not-before-policy": asIs, "session_state": asIs,
	"access_token": token, "id_token": token, "refresh_token": token,
	"request_uri": asIs,
	"sub":         asIs, "name": asIs, "preferred_username": asIs, "given_name": asIs, "family_name": asIs,
	"email": asIs, "email_verified": asIs, "roles": asIs, "client_roles": asIs,
	"error": asIs, "error_description": asIs,
}

const notOnTheList = "(not recorded: not on the inspector's list)"

func keep(how keepAs, value string) string {
	switch how {
	case asIs:
		return value
	case secret:
		return display.Redacted
	case token:
		return display.Abbreviate(value)
	case withoutSignature:
		return display.WithoutSignature(value)
	}
	return notOnTheList
}

// keepForm keeps a form body (a request the app sends).
func keepForm(raw []byte, contentLength int64) Body {
	if len(raw) > maxBody {
		return Body{NotKept: "not recorded: " + sizeText(len(raw), contentLength) + ", more than the inspector keeps"}
	}
	fields, err := ParseQuery(string(raw))
	if err != nil {
		return Body{NotKept: "not recorded: " + sizeText(len(raw), contentLength) + ", not a form"}
	}
	for i, f := range fields {
		fields[i].Value = keep(formFields[f.Name], f.Value)
	}
	return Body{Fields: fields}
}

// keepJSON keeps a JSON object body (an answer of the provider).
func keepJSON(raw []byte, contentLength int64) Body {
	if len(raw) > maxBody {
		return Body{JSON: true, NotKept: "not recorded: " + sizeText(len(raw), contentLength) + ", more than the inspector keeps"}
	}
	names, values, ok := members(raw)
	if !ok {
		return Body{JSON: true, NotKept: "not recorded: " + sizeText(len(raw), contentLength) + ", not a JSON object"}
	}
	b := Body{JSON: true, Fields: make([]Field, 0, len(names))}
	for i, name := range names {
		value, how := string(values[i]), jsonFields[name]
		switch {
		case how == asIs && !json.Valid(values[i]):
			return Body{JSON: true, NotKept: "not recorded: " + sizeText(len(raw), contentLength) + ", not valid JSON"}
		case how == token:
			value = strconv.Quote(abbreviateJSON(values[i])) // printable text of ours: valid JSON
		case how != asIs:
			value = strconvQuote(keep(how, jsonString(values[i])))
		}
		b.Fields = append(b.Fields, Field{name, value})
	}
	slices.SortFunc(b.Fields, func(x, y Field) int { return strings.Compare(x.Name, y.Name) })
	return b
}

// jsonString reads a JSON string. A token has no escapes: then it is the
// text between the quotes, without a second pass of the JSON decoder.
func jsonString(raw json.RawMessage) string {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 {
		return string(raw[1 : n-1])
	}
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// abbreviateJSON shows a token held in a JSON string by its start and
// length (display.Abbreviate), reading only the start of a plain string.
func abbreviateJSON(raw []byte) string {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return display.Abbreviate(jsonString(raw)) // not a plain string: decode it
	}
	text := raw[1 : n-1]
	return display.AbbreviateStart(string(text[:min(len(text), 16)]), len(text))
}

// requestHeaders keeps the headers worth showing, credentials described,
// not shown.
func requestHeaders(h http.Header) []Field {
	var fs []Field
	if v := h.Get("Authorization"); v != "" {
		fs = append(fs, Field{"Authorization", display.Authorization(v)})
	}
	if v := h.Get("Content-Type"); v != "" {
		fs = append(fs, Field{"Content-Type", v})
	}
	// A DPoP proof (RFC 9449): its header and claims, not its signature.
	if v := h.Get("DPoP"); v != "" {
		fs = append(fs, Field{"DPoP", display.WithoutSignature(v)})
	}
	return fs
}

func responseHeaders(h http.Header) []Field {
	var fs []Field
	for _, name := range []string{"Content-Type", "Cache-Control", "Pragma", "DPoP-Nonce", "WWW-Authenticate"} {
		if v := h.Get(name); v != "" {
			fs = append(fs, Field{name, v})
		}
	}
	return fs
}

// ParseQuery parses a form body or a URL query into its fields, in the
// order they appear (url.Values would sort them): the inspector's one
// parser of forms and queries.
func ParseQuery(query string) ([]Field, error) {
	var fields []Field
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(name)
		if err != nil {
			return nil, err
		}
		if value, err = url.QueryUnescape(value); err != nil {
			return nil, err
		}
		fields = append(fields, Field{name, value})
	}
	return fields, nil
}

// Value returns a field's value, "" when absent.
func Value(fields []Field, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
