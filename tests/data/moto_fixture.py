#!/usr/bin/env python3
"""Sets up IAM users and keys on a moto server for keyfence's verification tests (tests/it/verify.rs).

    moto_fixture.py ENDPOINT bootstrap                 create the admin user (3 unauthenticated calls)
    moto_fixture.py ENDPOINT create-key USER           create USER if needed and an access key for it
    moto_fixture.py ENDPOINT delete-key USER KEY_ID    DeleteAccessKey
    moto_fixture.py ENDPOINT deactivate-key USER KEY_ID  UpdateAccessKey --status Inactive
    moto_fixture.py ENDPOINT assume-role               AssumeRole: temporary (ASIA) credentials
    moto_fixture.py - make-tls DIR                     a test CA (DIR/ca.pem) and a certificate for
                                                       127.0.0.1 it signed (DIR/cert.pem, DIR/key.pem)

Every command but `bootstrap` signs its calls with the admin key from MOTO_ADMIN_KEY_ID and
MOTO_ADMIN_SECRET (boto3's signer: keyfence's own is what the tests check). Prints one JSON object:
`{"key_id": ..., "secret": ..., "token": ...}` for the commands that make credentials, `{}` else.
The server must run with INITIAL_NO_AUTH_ACTION_COUNT=3, so that only the bootstrap calls go
unauthenticated.
"""
import json
import os
import sys

import boto3

REGION = "us-east-1"
ADMIN = "keyfence-admin"
ALLOW_ALL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)


def client(service, endpoint, key_id, secret):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def make_tls(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it, valid for a day, PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("keyfence test CA"))
        .issuer_name(name("keyfence test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(directory, "cert.pem"), "wb") as f:
        f.write(cert.public_bytes(pem))
    with open(os.path.join(directory, "key.pem"), "wb") as f:
        f.write(
            key.private_bytes(
                pem,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    endpoint, command, args = argv[1], argv[2], argv[3:]
    if command == "make-tls":
        (directory,) = args
        make_tls(directory)
        print(json.dumps({}))
        return
    if command == "bootstrap":
        # Unauthenticated: moto lets the first INITIAL_NO_AUTH_ACTION_COUNT calls through.
        iam = client("iam", endpoint, "bootstrap", "bootstrap")
        iam.create_user(UserName=ADMIN)
        iam.put_user_policy(UserName=ADMIN, PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName=ADMIN)["AccessKey"]
        out = {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    else:
        admin = (os.environ["MOTO_ADMIN_KEY_ID"], os.environ["MOTO_ADMIN_SECRET"])
        iam = client("iam", endpoint, *admin)
        if command == "create-key":
            (user,) = args
            try:
                iam.create_user(UserName=user)
            except iam.exceptions.EntityAlreadyExistsException:
                pass
            key = iam.create_access_key(UserName=user)["AccessKey"]
            out = {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        elif command == "delete-key":
            user, key_id = args
            iam.delete_access_key(UserName=user, AccessKeyId=key_id)
            out = {}
        elif command == "deactivate-key":
            user, key_id = args
            iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
            out = {}
        elif command == "assume-role":
            sts = client("sts", endpoint, *admin)
            arn = "arn:aws:iam::123456789012:role/keyfence-test"
            c = sts.assume_role(RoleArn=arn, RoleSessionName="keyfence-test")["Credentials"]
            out = {
                "key_id": c["AccessKeyId"],
                "secret": c["SecretAccessKey"],
                "token": c["SessionToken"],
            }
        else:
            sys.exit(f"unknown command {command!r}\n{__doc__}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
