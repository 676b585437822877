"""Synthetic AWS credentials with a valid structure, for scripts (never live keys).

Key IDs are a credential prefix and 16 random base32 characters (new format: the 5th character in
Q-Z/2-7); secrets are 40 random base64 characters with lower, upper and a digit; session tokens
start with the observed header. Seeded for reproducible fixtures.
"""
import base64
import random

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Synthetic:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def key_id(self, prefix="AKIA", account=None):
        """A new-format key ID whose body encodes a (random) 12-digit account."""
        r = self.rng
        if account is None:
            account = r.randrange(10**12)
        head = (1 << 47) | (account << 7) | r.getrandbits(7)
        bits = (head << 32) | r.getrandbits(32)
        return prefix + "".join(B32[(bits >> (75 - 5 * i)) & 31] for i in range(16))

    def secret(self):
        r = self.rng
        while True:
            s = "".join(r.choice(B64) for _ in range(40))
            if any(c.islower() for c in s) and any(c.isupper() for c in s) and any(c.isdigit() for c in s):
                return s

    def token(self, length=600):
        head = "IQoJb3JpZ2luX2Vj"
        return head + "".join(self.rng.choice(B64) for _ in range(length - len(head)))

    def b64(self, n):
        return "".join(self.rng.choice(B64) for _ in range(n))

    def hex(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def uuid(self):
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def ses_password(self):
        """An SES SMTP password: base64 of version byte 0x04 and 32 random bytes (44 characters)."""
        raw = bytes([4]) + bytes(self.rng.getrandbits(8) for _ in range(32))
        return base64.b64encode(raw).decode()


def b64encode(text):
    return base64.b64encode(text.encode()).decode()
