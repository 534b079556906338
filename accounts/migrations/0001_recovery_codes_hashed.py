"""Recovery codes issued before codes were stored as keyed digests (8 characters, in clear)
are replaced by their digests: they keep working and the table no longer holds them."""

from django.db import migrations

PLAINTEXT_LENGTH = 8  # django-otp's StaticToken.random_token(); digests are 16 hex digits


def hash_plaintext_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    from accounts.services import recovery_code_digest

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.filter(token__regex=rf"^[a-z2-7]{{{PLAINTEXT_LENGTH}}}$").iterator():
        token.token = recovery_code_digest(token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("otp_static", "0003_add_timestamps")]

    operations = [migrations.RunPython(hash_plaintext_codes, migrations.RunPython.noop)]
