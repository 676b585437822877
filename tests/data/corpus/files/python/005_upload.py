import boto3


def client():
    return boto3.client(
        's3',
        aws_access_key_id='${keyid:AKIA:5000}',
        aws_secret_access_key='${secret:5001}',
    )
