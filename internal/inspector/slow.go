package inspector

// IDTokenFactsOf reads an ID token's header and the claims its checks read,
// as a record keeps them (Record.IDToken): for the login in slow motion
// (/slow), which keeps no record of its own but shows its checks as /flow
// does.
func IDTokenFactsOf(rawIDToken string) IDTokenFacts { return idTokenFacts(rawIDToken) }
