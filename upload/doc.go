// Package upload serves the file uploads of a LiveTemplate application over
// HTTP with the tus resumable upload protocol (1.0.0: core, creation,
// termination), on github.com/tus/tusd/v2 with a directory store.
//
// A browser asks for leave to upload over the page's socket; the
// application answers with a short-lived upload token per file and this
// server's endpoint. Every HTTP request of the upload carries the token in
// the header LiveTemplate-Upload. Once a file's last byte has arrived, the
// server checks its first bytes against the upload's accepted types and
// hands it to the upload's handler in the page's turn (exactly once per
// upload id), before it answers the request that completed it; the answer
// carries the handler's verdict in the header LiveTemplate-Upload-Result.
//
// Use it so:
//
//	up, err := upload.New("/var/lib/app/uploads")
//	app, err := livetemplate.NewApplication(up.Option())
//	mux.Handle(upload.DefaultEndpoint, up)
//
// With [WithPresigner] and an [S3Presigner], browsers send the bytes
// straight to a bucket of an S3-compatible storage by presigned URLs
// instead, and then ask this server to complete each upload: it checks
// the stored object (size, first bytes) and hands it to the handler once,
// as for tus.
//
// Its own module keeps tusd and the AWS SDK out of the library's
// dependencies.
package upload
