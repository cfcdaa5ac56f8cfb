package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// providerInfo is what the provider process tells the parent on start.
type providerInfo struct {
	Issuer  string `json:"issuer"`
	Control string `json:"control"` // GET Control+"/counters"
}

// providerCounters are the requests the app sent to the provider.
type providerCounters struct {
	Token     int64 `json:"token"`
	UserInfo  int64 `json:"userinfo"`
	Discovery int64 `json:"discovery"`
	Keys      int64 `json:"keys"`
}

func (c providerCounters) total() int64 { return c.Token + c.UserInfo + c.Discovery + c.Keys }

func (c providerCounters) minus(d providerCounters) providerCounters {
	return providerCounters{c.Token - d.Token, c.UserInfo - d.UserInfo, c.Discovery - d.Discovery, c.Keys - d.Keys}
}

// runProvider serves internal/testkit/testprovider on loopback, plus a control
// endpoint with its request counters, until stdin closes (the parent ended).
func runProvider(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	p := testprovider.New() // listens on 127.0.0.1
	defer p.Close()

	control, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /counters", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(providerCounters{
			Token: p.TokenRequests.Load(), UserInfo: p.UserInfoCalls.Load(),
			Discovery: p.DiscoveryCalls.Load(), Keys: p.KeysCalls.Load(),
		})
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(control)
	defer srv.Close()

	if err := json.NewEncoder(stdout).Encode(providerInfo{
		Issuer: p.Issuer(), Control: "http://" + control.Addr().String(),
	}); err != nil {
		return err
	}
	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, bufio.NewReader(stdin))
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-ctx.Done():
	}
	return nil
}
