import base64
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management.base import BaseCommand

from audit.checkpoints import public_key_b64


class Command(BaseCommand):
    help = (
        "Print new audit keys for the environment: NCII_AUDIT_KEY (the chain's HMAC key) and "
        "NCII_AUDIT_SIGNING_KEY (signs checkpoints), with the public key verifiers need."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        signing = Ed25519PrivateKey.generate()
        seed = signing.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        self.stdout.write(f"NCII_AUDIT_KEY={secrets.token_urlsafe(48)}")
        self.stdout.write(f"NCII_AUDIT_SIGNING_KEY={base64.b64encode(seed).decode()}")
        self.stdout.write(f"NCII_AUDIT_CHECKPOINT_PUBLIC_KEY={public_key_b64(signing.public_key())}")
