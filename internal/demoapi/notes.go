package demoapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// POST /api/notes is the demo API's one write: it needs the scope
// ScopeWrite (requireScope). It stores nothing: it answers with the note it
// would have written and whom for, which is all the lesson needs (a
// token that may write gets through; one that may only read does not).

// Bounds of a note: the body is read up to MaxNoteBodyBytes, the text may
// hold MaxNoteRunes characters.
const (
	MaxNoteBodyBytes = 4 << 10
	MaxNoteRunes     = 280
)

type noteRequest struct {
	Text string `json:"text"`
}

type noteResponse struct {
	Message string `json:"message"`
	Note    struct {
		Text      string `json:"text"`
		Author    string `json:"author_sub"`
		Username  string `json:"author_preferred_username"`
		WrittenAt string `json:"written_at"`
	} `json:"note"`
	Stored bool `json:"stored"`
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request) {
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"message": `send the note as JSON: {"text": "..."}`})
		return
	}
	var req noteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxNoteBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": fmt.Sprintf("the body is longer than %d bytes", MaxNoteBodyBytes)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": `the body is not {"text": "..."}`})
		return
	}
	if dec.More() {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "send one JSON object"})
		return
	}
	text := strings.TrimSpace(req.Text)
	switch {
	case text == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "the note is empty"})
		return
	case !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxNoteRunes:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("a note has at most %d characters", MaxNoteRunes)})
		return
	}

	c := callerFrom(r)
	var res noteResponse
	res.Message = fmt.Sprintf("Your access token carries %s, so the demo API accepts this write. (It keeps nothing: a demo.)", ScopeWrite)
	res.Note.Text, res.Note.Author, res.Note.Username = text, c.Subject, c.PreferredUsername
	res.Note.WrittenAt = s.now().UTC().Format(time.RFC3339)
	s.logger.Info("note accepted", "sub", c.Subject, "runes", utf8.RuneCountInString(text))
	writeJSON(w, http.StatusOK, res)
}
