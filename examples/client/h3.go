package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
	"github.com/quince-go/quic/http3"
)

// getter fetches a URL's body: with hq-interop or with HTTP/3.
type getter interface {
	Get(ctx context.Context, url string) (io.ReadCloser, error)
	Close() error
}

// hqGetter fetches with hq-interop.
type hqGetter struct{ *hq.Client }

func (g hqGetter) Get(ctx context.Context, url string) (io.ReadCloser, error) {
	return g.Client.Get(ctx, url)
}

// h3Getter fetches with HTTP/3, through net/http's Client.
type h3Getter struct {
	tr *http3.Transport
	c  *http.Client
}

func newH3Getter(tlsConf *tls.Config, conf *quic.Config) h3Getter {
	tr := &http3.Transport{TLSClientConfig: tlsConf, QUICConfig: conf}
	return h3Getter{tr: tr, c: &http.Client{Transport: tr}}
}

func (g h3Getter) Get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := g.c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

func (g h3Getter) Close() error { return g.tr.Close() }
