package inspector

import "encoding/json"

// members splits a JSON object into its members' names and raw values in
// one pass, without decoding the values: the inspector shows a token
// response's tokens by their start only, so decoding 3 KB of them just to
// cut them short would be the most expensive part of recording a login.
// ok is false for anything but an object of this shape; the body is then
// not kept. Values are checked only by their extent; the fields the
// inspector shows as they are get json.Valid (keepJSON).
func members(raw []byte) (names []string, values [][]byte, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, nil, skipSpace(raw, i+1) == len(raw)
	}
	for {
		end, ok := stringEnd(raw, i)
		if !ok {
			return nil, nil, false
		}
		var name string
		if json.Unmarshal(raw[i:end], &name) != nil {
			return nil, nil, false
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, nil, false
		}
		start := skipSpace(raw, i+1)
		end, ok = valueEnd(raw, start)
		if !ok {
			return nil, nil, false
		}
		names, values = append(names, name), append(values, raw[start:end])
		i = skipSpace(raw, end)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return names, values, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, nil, false
		}
	}
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at i.
func stringEnd(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, false
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++ // the escaped character
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// valueEnd returns the index after the JSON value that starts at i: a
// string, an object or array (nested brackets counted, strings skipped),
// or a literal (number, true, false, null).
func valueEnd(raw []byte, i int) (int, bool) {
	if i >= len(raw) {
		return 0, false
	}
	switch raw[i] {
	case '"':
		return stringEnd(raw, i)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			switch raw[i] {
			case '"':
				end, ok := stringEnd(raw, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default:
		start := i
		for i < len(raw) && raw[i] != ',' && raw[i] != '}' && raw[i] != ']' && raw[i] != ' ' && raw[i] != '\n' && raw[i] != '\t' && raw[i] != '\r' {
			i++
		}
		return i, i > start
	}
}
