#!/bin/sh
set -e
export AWS_ACCESS_KEY_ID="${keyid:AKIA:4000}"
export AWS_SECRET_ACCESS_KEY="${secret:4002}"
aws s3 sync ./dist s3://site
