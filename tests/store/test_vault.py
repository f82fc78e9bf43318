import pytest
from cryptography.fernet import Fernet, MultiFernet
from pydantic import SecretStr
from sqlalchemy import text

from store.database import Sessions, unit_of_work
from store.vault import (
    SecretUnreadableError,
    UnknownSecretError,
    delete_secrets,
    get_secret,
    mask,
    put_secret,
    rotate_secrets,
)

API_KEY = "user-api-key-0f3c9a1b7e5d4c2a"


def _cipher(*keys: bytes) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def test_secret_round_trips_and_is_not_stored_in_plain_text(sessions: Sessions) -> None:
    cipher = _cipher(Fernet.generate_key())
    with unit_of_work(sessions) as session:
        ref = put_secret(session, "company-1", "maventa_user_api_key", SecretStr(API_KEY), cipher=cipher)

    with unit_of_work(sessions) as session:
        assert get_secret(session, ref, cipher=cipher).get_secret_value() == API_KEY
        raw = session.execute(text("SELECT ciphertext FROM vault_secrets")).scalar_one()
    assert API_KEY not in raw
    assert API_KEY[-8:] not in raw


def test_storing_again_replaces_under_the_same_reference(sessions: Sessions) -> None:
    cipher = _cipher(Fernet.generate_key())
    with unit_of_work(sessions) as session:
        first = put_secret(session, "company-1", "maventa_user_api_key", SecretStr("old-key"), cipher=cipher)
        second = put_secret(session, "company-1", "maventa_user_api_key", SecretStr("new-key"), cipher=cipher)
        other = put_secret(
            session, "company-2", "maventa_user_api_key", SecretStr("their-key"), cipher=cipher
        )
    assert first == second != other
    with unit_of_work(sessions) as session:
        assert get_secret(session, first, cipher=cipher).get_secret_value() == "new-key"
        assert session.execute(text("SELECT count(*) FROM vault_secrets")).scalar_one() == 2


def test_wrong_key_fails_clearly_without_revealing_anything(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        ref = put_secret(
            session, "company-1", "api", SecretStr(API_KEY), cipher=_cipher(Fernet.generate_key())
        )

    with unit_of_work(sessions) as session, pytest.raises(SecretUnreadableError) as raised:
        get_secret(session, ref, cipher=_cipher(Fernet.generate_key()))
    assert "SECRETS_KEY" in str(raised.value)
    assert API_KEY not in str(raised.value)


def test_rotation_reads_old_secrets_and_re_encrypts_them(sessions: Sessions) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    with unit_of_work(sessions) as session:
        ref = put_secret(session, "company-1", "api", SecretStr(API_KEY), cipher=_cipher(old))

    rotated = _cipher(new, old)
    with unit_of_work(sessions) as session:
        assert get_secret(session, ref, cipher=rotated).get_secret_value() == API_KEY
        assert rotate_secrets(session, cipher=rotated) == 1

    with unit_of_work(sessions) as session:
        assert get_secret(session, ref, cipher=_cipher(new)).get_secret_value() == API_KEY
        with pytest.raises(SecretUnreadableError):
            get_secret(session, ref, cipher=_cipher(old))


def test_delete_forgets_every_secret_of_the_owner_only(sessions: Sessions) -> None:
    cipher = _cipher(Fernet.generate_key())
    with unit_of_work(sessions) as session:
        gone = put_secret(session, "company-1", "api", SecretStr("a"), cipher=cipher)
        put_secret(session, "company-1", "other", SecretStr("b"), cipher=cipher)
        kept = put_secret(session, "company-2", "api", SecretStr("c"), cipher=cipher)
    with unit_of_work(sessions) as session:
        assert delete_secrets(session, "company-1") == 2
    with unit_of_work(sessions) as session:
        with pytest.raises(UnknownSecretError):
            get_secret(session, gone, cipher=cipher)
        assert get_secret(session, kept, cipher=cipher).get_secret_value() == "c"


def test_default_cipher_comes_from_settings(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        ref = put_secret(session, "company-1", "api", SecretStr(API_KEY))
        assert get_secret(session, ref).get_secret_value() == API_KEY


def test_mask_shows_only_the_last_four_characters() -> None:
    assert mask(SecretStr(API_KEY)) == "****" + API_KEY[-4:]
    assert mask(SecretStr("short")) == "****"
    assert mask(SecretStr("")) == "****"
