"""Signed session cookies and form tokens (pure functions)."""

import time

from search.sessions import Sessions, csrf_matches, secret_key


def test_a_session_survives_the_round_trip_and_nothing_else_does():
    sessions = Sessions(b"k" * 32)
    cookie = sessions.dump(sessions.new("vera"))
    assert sessions.load(cookie)["u"] == "vera"
    data, signature = cookie.split(".")
    assert sessions.load(f"{data}x.{signature}") is None  # tampered payload
    flipped = "1" if signature[-1] == "0" else "0"  # always a different last digit
    assert sessions.load(f"{data}.{signature[:-1]}{flipped}") is None  # tampered signature
    assert Sessions(b"other key" * 4).load(cookie) is None
    assert sessions.load(None) is None and sessions.load("garbage") is None and sessions.load("a.b.c") is None


def test_an_expired_session_is_refused():
    sessions = Sessions(b"k" * 32)
    assert sessions.load(sessions.dump({**sessions.new("vera"), "exp": int(time.time()) - 1})) is None


def test_csrf_tokens_must_match_exactly():
    session = {"csrf": "abc"}
    assert csrf_matches(session, "abc")
    assert not csrf_matches(session, "abd") and not csrf_matches(session, "") and not csrf_matches(None, "abc")
    assert not csrf_matches(session, "王\x00芳")


def test_the_secret_key_comes_from_the_environment_or_is_generated(monkeypatch):
    monkeypatch.setenv("UNIFY_SECRET_KEY", "from-env")
    assert secret_key() == (b"from-env", False)
    monkeypatch.delenv("UNIFY_SECRET_KEY")
    key, generated = secret_key()
    assert generated and len(key) == 32 and secret_key()[0] != key
