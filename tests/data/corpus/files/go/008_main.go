package main

import "github.com/aws/aws-sdk-go/aws/credentials"

var creds = credentials.NewStaticCredentials("${keyid:AKIA:8000}", "${secret:8007}", "")
