"""Logins: salted password hashes, the users file, inline users, and who may serve where."""

import hashlib
import json

import pytest

from tools.errors import TierwiseError
from ui.app import build_app
from ui.auth import (UserStore, add_user, hash_password, is_loopback, load_users, users_for_host,
                     verify_password)


def test_a_password_hash_is_salted_and_verifies_only_the_same_password():
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("S3cret", first)
    assert not verify_password("s3cret", "not a hash")


def test_a_pbkdf2_hash_written_by_another_tool_is_accepted():
    import base64

    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, 1000)
    stored = f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert verify_password("pw", stored) and not verify_password("px", stored)


def test_add_user_writes_a_json_file_without_the_plain_password(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "alice", "marketer", "wonderland")
    add_user(path, "bob", "support", "builder-bob")
    add_user(path, "alice", "admin", "new-password")  # replaces, doesn't duplicate

    text = path.read_text(encoding="utf-8")
    assert "wonderland" not in text and "new-password" not in text
    assert [u["username"] for u in json.loads(text)["users"]] == ["bob", "alice"]
    store = UserStore.from_file(path)
    assert store.role("alice") == "admin" and store.verify("alice", "new-password")
    assert not store.verify("alice", "wonderland")
    assert store.verify("bob", "builder-bob") and not store.verify("nobody", "builder-bob")


def test_a_toml_users_file_round_trips(tmp_path):
    path = tmp_path / "users.toml"
    add_user(path, "carol", "support", "carol-pass")
    assert path.read_text(encoding="utf-8").startswith("[[users]]")
    assert UserStore.from_file(path).verify("carol", "carol-pass")


def test_an_unknown_role_is_refused_with_the_valid_roles(tmp_path):
    with pytest.raises(TierwiseError, match="Roles are: marketer, support, admin"):
        add_user(tmp_path / "users.json", "eve", "superuser", "pw")


def test_a_short_password_is_refused_and_the_file_is_unchanged(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "alice", "marketer", "wonderland")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(TierwiseError, match="at least 8 characters"):
        add_user(path, "bob", "support", "short")
    assert path.read_text(encoding="utf-8") == before


def test_users_cli_adds_lists_and_removes_without_echoing_the_password(tmp_path, cli, monkeypatch):
    import io

    path = tmp_path / "users.json"
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    code, out, err = cli("users", "add", "alice", "--role", "support", "--password-stdin", "--file", path)
    assert code == 0, err
    assert "correct horse" not in out and "correct horse" not in path.read_text(encoding="utf-8")
    assert UserStore.from_file(path).verify("alice", "correct horse")
    code, out, _ = cli("users", "list", "--file", path, "--json")
    assert json.loads(out)["users"] == [{"username": "alice", "role": "support"}]
    code, _, err = cli("users", "add", "bob", "--file", path, "--password-stdin")
    assert code != 0 and "--role" in err
    code, _, err = cli("users", "remove", "nobody", "--file", path)
    assert code != 0 and "no user 'nobody'" in err
    code, _, err = cli("users", "remove", "alice", "--file", path)
    assert code == 0 and UserStore.from_file(path).names() == []


def test_inline_users_are_read_and_hashed_at_start():
    store = UserStore.from_inline("alice:marketer:pw:with:colons, bob:support:bob-pass")
    assert store.names() == ["alice", "bob"]
    assert store.verify("alice", "pw:with:colons") and store.role("bob") == "support"
    with pytest.raises(TierwiseError, match="name:role:password"):
        UserStore.from_inline("alice-marketer-pw")


def test_users_come_from_inline_env_then_the_users_file(tmp_path):
    path = tmp_path / "home" / "users.json"
    add_user(path, "dora", "admin", "dora-pass")
    assert load_users({"TIERWISE_HOME": str(tmp_path / "home")}).names() == ["dora"]
    assert load_users({"TIERWISE_USERS": str(path), "TIERWISE_USERS_INLINE": "x:support:y-password"}).names() == ["x"]
    assert load_users({"TIERWISE_HOME": str(tmp_path / "empty")}) is None
    with pytest.raises(TierwiseError, match="does not exist"):
        load_users({"TIERWISE_USERS": str(tmp_path / "missing.json")})


def test_loopback_without_users_gets_one_random_demo_login_per_role(tmp_path):
    store, message = users_for_host("127.0.0.1", env={"TIERWISE_HOME": str(tmp_path)})
    assert sorted(store.names()) == ["admin", "marketer", "support"]
    assert {store.role(n) for n in store.names()} == {"admin", "marketer", "support"}
    password = message.split("marketer  password ")[1].split()[0]
    assert store.verify("marketer", password)
    other, _ = users_for_host("localhost", env={"TIERWISE_HOME": str(tmp_path)})
    assert not other.verify("marketer", password)  # a fresh password every start


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_a_network_address_without_configured_users_is_refused(host, tmp_path):
    with pytest.raises(TierwiseError, match="Refusing to serve"):
        users_for_host(host, env={"TIERWISE_HOME": str(tmp_path)})


def test_the_app_refuses_to_start_on_all_interfaces_without_users(tmp_path, monkeypatch):
    monkeypatch.delenv("TIERWISE_USERS", raising=False)
    monkeypatch.delenv("TIERWISE_USERS_INLINE", raising=False)
    app = build_app(tmp_path / "home")
    with pytest.raises(TierwiseError, match="tierwise users add"):
        app.launch(server_name="0.0.0.0", server_port=1, prevent_thread_lock=True)
    with pytest.raises(TierwiseError, match="Refusing to serve"):
        app.launch(share=True, prevent_thread_lock=True)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback(None)
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")
