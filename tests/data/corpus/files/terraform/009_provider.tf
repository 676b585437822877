provider "aws" {
  region     = "us-east-1"
  access_key = "${keyid:AKIA:9000}"
  secret_key = "${secret:9001}"
}
