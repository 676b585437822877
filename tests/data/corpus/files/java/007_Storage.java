package app;

import com.amazonaws.auth.BasicAWSCredentials;

class Storage {
    static final BasicAWSCredentials CREDS =
        new BasicAWSCredentials("${keyid:AKIA:7000}", "${secret:7008}");
}
