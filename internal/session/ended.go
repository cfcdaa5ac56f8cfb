package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/alexedwards/scs/v2"
)

// endedStore is the session store as the Manager sees it: the real store,
// except that a session ended by a logout is never saved again.
//
// scs saves the whole session at the end of every request that modified it,
// and with an idle timeout every loaded session counts as modified. So a
// slow request that loaded the session before a logout (a token refresh, an
// API call) would write it back when it ends, and its response would set the
// old cookie again: logged in after logging out. A logout therefore leaves a
// mark for the token in Marks (shared by every replica) before deleting the
// session, and a save of a marked token is dropped.
type endedStore struct {
	scs.Store
	marks Marks
}

// CommitCtx saves the session unless its token was ended. scs calls it
// (rather than Commit) with the request's context.
func (s *endedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if ended, err := s.marks.Marked(ctx, endedTokenKey(token)); err != nil || ended {
		return err // ended: the save is dropped; the cookie points to nothing
	}
	if err := s.Store.Commit(token, b, expiry); err != nil {
		return err
	}
	// A logout between the check and the write (at another replica, say)
	// has marked the token and deleted the session, and the write has just
	// brought it back: look again and undo it. A logout marks before it
	// deletes, so one of the two always sees the other.
	ended, err := s.marks.Marked(ctx, endedTokenKey(token))
	if err != nil {
		return err
	}
	if ended {
		return s.DeleteCtx(ctx, token)
	}
	return nil
}

// DeleteCtx deletes a session, passing ctx on to a store that takes one
// (scs calls it, for example to delete the old token in RenewToken).
func (s *endedStore) DeleteCtx(ctx context.Context, token string) error {
	if store, ok := s.Store.(interface {
		DeleteCtx(context.Context, string) error
	}); ok {
		return store.DeleteCtx(ctx, token)
	}
	return s.Store.Delete(token)
}

// Commit is CommitCtx without a request (scs itself always passes one).
func (s *endedStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// end marks token as ended until the moment its session would have expired
// anyway (no save can outlive that), then deletes the session.
func (s *endedStore) end(ctx context.Context, token string, until time.Time) error {
	if token == "" {
		return nil // never saved: nothing to end
	}
	if _, err := s.marks.Mark(ctx, endedTokenKey(token), until); err != nil {
		return err
	}
	return s.DeleteCtx(ctx, token)
}

// endedTokenKey names the mark of an ended session. The session token is a
// credential, so the key holds its SHA-256, not the token.
func endedTokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "ended:token:" + base64.RawURLEncoding.EncodeToString(sum[:])
}
