package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/sync/protocol"
)

// Feed is an open data-plane feed: Next returns its frames in order.
type Feed struct {
	body io.ReadCloser
	*protocol.FrameReader
}

// Close ends the stream.
func (f *Feed) Close() error { return f.body.Close() }

// OpenFeed opens the catalog's data-plane feed with the client's node token. after > 0
// resumes after that sequence (Last-Event-ID): the server sends only what came after it,
// or a snapshot when it cannot or when its cluster settings differ from those whose
// protocol.Cluster.Fingerprint is cluster (the ones the node has). The stream lasts until ctx ends, Close is called or the
// connection drops; it is read through body, which callers may wrap (to notice silence,
// say) with wrap (nil for none). The client's timeout does not apply to the stream.
func (c *Client) OpenFeed(ctx context.Context, catalog string, after int64, cluster string, wrap func(io.Reader) io.Reader) (*Feed, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/catalogs/" + esc(catalog) + "/feed"
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if after > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
		if cluster != "" {
			req.Header.Set(protocol.ClusterHeader, cluster)
		}
	}
	hc := &http.Client{Transport: c.hc.Transport, CheckRedirect: c.hc.CheckRedirect, Jar: c.hc.Jar} // no timeout
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("opening the feed of %s: %w", catalog, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("opening the feed of %s: %w", catalog, decodeError(resp, b))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("opening the feed of %s: the server answered %q, not an event stream", catalog, ct)
	}
	var r io.Reader = resp.Body
	if wrap != nil {
		r = wrap(r)
	}
	return &Feed{body: resp.Body, FrameReader: protocol.NewFrameReader(r)}, nil
}
