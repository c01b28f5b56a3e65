package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultKeyPrefix starts the object keys of uploads (WithKeyPrefix).
const DefaultKeyPrefix = "uploads/"

// maxPresign is the longest life S3 gives a presigned URL.
const maxPresign = 7 * 24 * time.Hour

// S3Presigner sends uploads straight to a bucket of an S3-compatible
// storage: browsers PUT the files' bytes to presigned URLs, and the server
// only checks the stored objects when the browsers complete the uploads.
// Give it to the server with [WithPresigner]. Its methods are safe for
// concurrent use.
type S3Presigner struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	prefix  string
}

// An S3Option configures an S3Presigner.
type S3Option func(*S3Presigner)

// WithKeyPrefix sets what the object keys of uploads start with; an
// upload's key is the prefix and its upload id. Default: DefaultKeyPrefix.
func WithKeyPrefix(prefix string) S3Option {
	return func(p *S3Presigner) { p.prefix = prefix }
}

// NewS3Presigner returns a presigner of uploads to bucket, through client
// (whose credentials sign the URLs: they must allow PutObject, GetObject,
// HeadObject and DeleteObject on the bucket). The bucket's CORS rules must
// let the pages' origins PUT.
func NewS3Presigner(client *s3.Client, bucket string, opts ...S3Option) (*S3Presigner, error) {
	if client == nil || bucket == "" {
		return nil, errors.New("upload: an S3 presigner needs a client and a bucket")
	}
	p := &S3Presigner{client: client, bucket: bucket, prefix: DefaultKeyPrefix}
	for _, opt := range opts {
		opt(p)
	}
	// A browser's PUT carries no checksum header of the SDK's: sign none.
	p.presign = s3.NewPresignClient(client, s3.WithPresignClientFromClientOptions(func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}))
	return p, nil
}

// key returns the object key of the upload id.
func (p *S3Presigner) key(id string) string { return p.prefix + id }

// put presigns the PUT of size bytes to key, valid until expires; it
// returns the URL and the signed headers that a browser may set.
func (p *S3Presigner) put(ctx context.Context, key string, size int64, expires time.Time) (string, map[string]string, error) {
	life := min(max(time.Until(expires), time.Second), maxPresign)
	req, err := p.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.bucket), Key: aws.String(key), ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(life))
	if err != nil {
		return "", nil, fmt.Errorf("upload: presigning %s: %w", key, err)
	}
	var header map[string]string
	for k, v := range req.SignedHeader {
		// The browser sets these itself, and may not set them.
		if k == "Host" || k == "Content-Length" || len(v) == 0 {
			continue
		}
		if header == nil {
			header = make(map[string]string)
		}
		header[k] = strings.Join(v, ",")
	}
	return req.URL, header, nil
}

// errNoObject: the object is not in the bucket.
var errNoObject = errors.New("no such object")

// size returns the size of the object key.
func (p *S3Presigner) size(ctx context.Context, key string) (int64, error) {
	out, err := p.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("upload: HEAD %s: %w", key, notFound(err))
	}
	return aws.ToInt64(out.ContentLength), nil
}

// sniff returns the content type of the object key, as its first bytes
// say.
func (p *S3Presigner) sniff(ctx context.Context, key string) (string, error) {
	out, err := p.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key), Range: aws.String("bytes=0-511")})
	if err != nil {
		return "", fmt.Errorf("upload: GET %s: %w", key, notFound(err))
	}
	defer out.Body.Close()
	head, err := io.ReadAll(io.LimitReader(out.Body, 512))
	if err != nil {
		return "", fmt.Errorf("upload: GET %s: %w", key, err)
	}
	return http.DetectContentType(head), nil
}

// open opens the object key for reading.
func (p *S3Presigner) open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := p.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("upload: GET %s: %w", key, notFound(err))
	}
	return out.Body, nil
}

// remove deletes the object key (deleting an absent object succeeds).
func (p *S3Presigner) remove(ctx context.Context, key string) error {
	if _, err := p.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("upload: DELETE %s: %w", key, err)
	}
	return nil
}

// notFound returns errNoObject for an answer 404, else err.
func notFound(err error) error {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return errNoObject
	}
	return err
}
