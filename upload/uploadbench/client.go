package uploadbench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/livetemplate/livetemplate/upload"
)

// client is the Go side of the upload protocol for one file, streaming its
// bytes from the pattern.
type client struct {
	base  string // the server's URL
	token string
	loc   string // the upload's URL, once created
}

func (c *client) do(ctx context.Context, method, url string, h map[string]string, body io.Reader, n int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = n
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set(upload.TokenHeader, c.token)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// create creates the upload of size bytes.
func (c *client) create(ctx context.Context, size int64) error {
	resp, err := c.do(ctx, http.MethodPost, c.base+upload.DefaultEndpoint, map[string]string{"Upload-Length": strconv.FormatInt(size, 10)}, nil, 0)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("create: %s %s", resp.Status, resp.Header.Get(upload.ResultHeader))
	}
	c.loc = resp.Header.Get("Location")
	return nil
}

// patch sends n bytes at off, and returns the new offset and the verdict,
// if the file is complete.
func (c *client) patch(ctx context.Context, off, n int64) (int64, string, error) {
	h := map[string]string{"Upload-Offset": strconv.FormatInt(off, 10), "Content-Type": "application/offset+octet-stream"}
	resp, err := c.do(ctx, http.MethodPatch, c.loc, h, pattern(off, n), n)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != http.StatusNoContent {
		return 0, "", fmt.Errorf("patch at %d: %s %s", off, resp.Status, resp.Header.Get(upload.ResultHeader))
	}
	next, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return next, resp.Header.Get(upload.ResultHeader), err
}

// head returns the upload's offset.
func (c *client) head(ctx context.Context) (int64, error) {
	resp, err := c.do(ctx, http.MethodHead, c.loc, nil, nil, 0)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
}

// upload creates the upload of size bytes and sends them in chunks.
func (c *client) upload(ctx context.Context, size, chunk int64) error {
	if err := c.create(ctx, size); err != nil {
		return err
	}
	var res string
	for off := int64(0); off < size; {
		next, r, err := c.patch(ctx, off, min(chunk, size-off))
		if err != nil {
			return err
		}
		off, res = next, r
	}
	if res != "ok" {
		return fmt.Errorf("upload: result %q", res)
	}
	return nil
}

// post sends size bytes of the pattern in one plain POST.
func (c *client) post(ctx context.Context, url string, size int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pattern(0, size))
	if err != nil {
		return err
	}
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("post: %s", resp.Status)
	}
	return nil
}
