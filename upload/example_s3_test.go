package upload_test

import (
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/upload"
)

// Browsers send files straight to the bucket "photos"; the server keeps
// only tokens and verdicts in its directory, and hands each stored object
// to the page's upload handler, which reads it with f.Reader(ctx).
func ExampleWithPresigner() {
	client := s3.New(s3.Options{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}) // your credentials
	p, err := upload.NewS3Presigner(client, "photos", upload.WithKeyPrefix("incoming/"))
	if err != nil {
		log.Fatal(err)
	}
	up, err := upload.New("/var/lib/app/uploads", upload.WithPresigner(p))
	if err != nil {
		log.Fatal(err)
	}
	app, err := livetemplate.NewApplication(up.Option())
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
}
