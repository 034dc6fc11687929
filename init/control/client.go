package control

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client talks to a node's control socket.
type Client struct {
	path string
	http *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	return &Client{path: path, http: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}
}

func (c *Client) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://tandem"+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control socket %s: %w (is tandem running?)", c.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("control socket %s: %w", c.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// Status fetches the node's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/status", &s)
	return s, err
}

// Standby asks the node to hand the VIPs over and stay standby.
func (c *Client) Standby(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/standby", nil)
}

// Online clears standby, bans and fail counts.
func (c *Client) Online(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/online", nil)
}

// Reload asks the node to check and reload HAProxy.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reload", nil)
}

// Logs fetches up to n recent log lines.
func (c *Client) Logs(ctx context.Context, n int) ([]string, error) {
	var lines []string
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/logs?n=%d", n), &lines)
	return lines, err
}
