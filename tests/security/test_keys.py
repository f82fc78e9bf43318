import pytest
from cryptography.fernet import InvalidToken
from pydantic import SecretStr

from security.keys import SecretsKeyError, codec_keys, fernet_keys, new_key, vault_cipher
from settings import Settings


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    current, old = new_key(), new_key()
    rotated = vault_cipher(Settings(secrets_key=SecretStr(f"{current}, {old}")))
    only_current = vault_cipher(Settings(secrets_key=SecretStr(current)))
    only_old = vault_cipher(Settings(secrets_key=SecretStr(old)))

    assert only_current.decrypt(rotated.encrypt(b"api key")) == b"api key"
    with pytest.raises(InvalidToken):
        only_old.decrypt(rotated.encrypt(b"api key"))
    assert rotated.decrypt(only_old.encrypt(b"older")) == b"older"


def test_a_malformed_entry_is_named_without_echoing_it() -> None:
    with pytest.raises(SecretsKeyError) as raised:
        fernet_keys(SecretStr(f"{new_key()},not-a-real-key-material"))
    assert "entry 2" in str(raised.value)
    assert "not-a-real-key-material" not in str(raised.value)
    with pytest.raises(SecretsKeyError, match="empty"):
        fernet_keys(SecretStr(" , "))


def test_codec_keys_differ_from_the_vault_keys_and_do_not_show_in_reprs() -> None:
    settings = Settings(secrets_key=SecretStr(new_key()))
    (codec_key,) = codec_keys(settings)
    (vault_key,) = fernet_keys(settings.secrets_key)
    assert codec_key.key != vault_key
    assert codec_key.key.hex() not in repr(codec_key)
