package session

import (
	"context"
	"sync"
	"time"
)

// MemoryIndex is an Index kept in this process (one replica only).
type MemoryIndex struct {
	mu      sync.Mutex
	entries map[string]map[string]time.Time // key -> token -> expiry
	adds    int
}

// NewMemoryIndex returns an empty in-memory index.
func NewMemoryIndex() *MemoryIndex {
	return &MemoryIndex{entries: map[string]map[string]time.Time{}}
}

func (ix *MemoryIndex) Add(_ context.Context, key, token string, expiry time.Time) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.entries[key] == nil {
		ix.entries[key] = map[string]time.Time{}
	}
	ix.entries[key][token] = expiry
	// Now and then drop expired entries, so memory follows live sessions.
	if ix.adds++; ix.adds%1000 == 0 {
		now := time.Now()
		for k, tokens := range ix.entries {
			for t, exp := range tokens {
				if now.After(exp) {
					delete(tokens, t)
				}
			}
			if len(tokens) == 0 {
				delete(ix.entries, k)
			}
		}
	}
	return nil
}

func (ix *MemoryIndex) Take(_ context.Context, key string) ([]string, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var tokens []string
	now := time.Now()
	for t, exp := range ix.entries[key] {
		if now.Before(exp) { // an expired session is gone already
			tokens = append(tokens, t)
		}
	}
	delete(ix.entries, key)
	return tokens, nil
}

func (ix *MemoryIndex) Remove(_ context.Context, key, token string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.entries[key], token)
	if len(ix.entries[key]) == 0 {
		delete(ix.entries, key)
	}
	return nil
}

// MemoryMarks is a Marks set kept in this process (one replica only).
type MemoryMarks struct {
	mu      sync.Mutex
	until   map[string]time.Time
	sweepAt int // drop expired keys when the set grows to this size
}

// NewMemoryMarks returns an empty in-memory set.
func NewMemoryMarks() *MemoryMarks {
	return &MemoryMarks{until: map[string]time.Time{}}
}

func (s *MemoryMarks) Mark(_ context.Context, key string, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	// Ended provider sessions stay marked for a session lifetime (hours),
	// so the set can be large: sweeping it on every Mark made a burst of
	// back-channel logouts quadratic (BENCHMARKS.md). Sweep when it has
	// doubled since the last sweep instead: O(1) per Mark on average.
	if len(s.until) >= s.sweepAt {
		for k, exp := range s.until {
			if now.After(exp) {
				delete(s.until, k)
			}
		}
		s.sweepAt = max(2*len(s.until), 64)
	}
	if exp, seen := s.until[key]; seen && now.Before(exp) {
		return false, nil
	}
	s.until[key] = until
	return true, nil
}

func (s *MemoryMarks) Marked(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.until[key]
	return ok && time.Now().Before(exp), nil
}
