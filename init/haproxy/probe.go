package haproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// prober GETs the health endpoint. Each probe opens a new connection so a
// wedged worker cannot hide behind a kept-alive one.
type prober struct {
	url    string
	client *http.Client
}

func newProber(cfg Config) *prober {
	return &prober{
		url: "http://" + cfg.HealthAddr.String() + HealthPath,
		client: &http.Client{Transport: &http.Transport{
			DisableKeepAlives: true,
			Proxy:             nil,
		}},
	}
}

// probe returns nil if the endpoint answered 200 within timeout.
func (p *prober) probe(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return fmt.Errorf("haproxy: health %s: %w", p.url, err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("haproxy: health: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("haproxy: health %s: status %d", p.url, resp.StatusCode)
	}
	return nil
}
