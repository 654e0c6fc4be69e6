"""The request journal: what the code under test sent, for both modes, bounded, reset."""

from __future__ import annotations

import hashlib

import pytest
import requests

import schemas
from mock_server import Config, ManualClock, MockController, mock_midjourney

BASE = "https://api.midjourney-api.com"
SUBMIT = BASE + "/midjourney/v1/submit-jobs"
STATUS = BASE + "/midjourney/v1/job-status"


def _config(**changes: object) -> Config:
    return Config(api_keys={"secret-key": 100}, clock=ManualClock(start=1_000.0), **changes)


def test_every_answered_request_is_journaled_without_the_key() -> None:
    with mock_midjourney(_config()) as mj:
        task_id = requests.post(
            SUBMIT, json={"prompt": "a fox", "mode": "relaxed"}, headers={"API-KEY": "secret-key"}
        ).json()["data"]["taskId"]
        requests.post(STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": "secret-key"})
        requests.post(SUBMIT, json={"prompt": "no key"})
        mj.advance(300)
        entries = mj.requests
    schemas.validate("control_requests", {"requests": entries})
    assert [(e["endpoint"], e["status"]) for e in entries] == [
        ("submit-jobs", 200),
        ("job-status", 200),
        ("submit-jobs", 401),
    ]
    first = entries[0]
    assert first["body"] == {"prompt": "a fox", "mode": "relaxed"}
    assert first["answer"]["data"]["taskId"] == task_id
    assert first["at"] == 1_000_000
    expected = "sha256:" + hashlib.sha256(b"secret-key").hexdigest()[:12]
    assert first["keyFingerprint"] == expected
    assert "secret-key" not in repr(entries)
    assert entries[2]["keyFingerprint"] is None
    assert [e["method"] for e in entries] == ["POST"] * 3


def test_helpers_count_and_find_submits() -> None:
    with mock_midjourney(_config()) as mj:
        for prompt in ("a fox", "a cat", "a fox"):
            requests.post(SUBMIT, json={"prompt": prompt}, headers={"API-KEY": "secret-key"})
        assert mj.request_counts() == {"submit-jobs": 3}
        assert len(mj.assert_submitted(prompt="a fox", times=2)) == 2
        with pytest.raises(AssertionError, match=r"prompt='a dog'.*'a fox', 'a cat', 'a fox'"):
            mj.assert_submitted(prompt="a dog")
        with pytest.raises(AssertionError, match="1 time"):
            mj.assert_submitted(prompt="a cat", mode="relaxed", times=1)


def test_the_journal_is_a_ring_and_a_reset_empties_it() -> None:
    with mock_midjourney(_config(journal_size=2)) as mj:
        for prompt in ("one", "two", "three"):
            requests.post(SUBMIT, json={"prompt": prompt}, headers={"API-KEY": "secret-key"})
        assert [e["body"]["prompt"] for e in mj.requests] == ["two", "three"]
        mj.reset()
        assert mj.requests == []


def test_faults_and_control_calls(mj_server: MockController) -> None:
    mj_server.inject_fault("status", status=503, endpoint="job-status")
    url = mj_server.base_url + "/midjourney/v1/job-status"
    headers = {"API-KEY": mj_server.api_key}
    assert (
        requests.post(url, json={"taskIds": ["x"]}, headers=headers, timeout=10).status_code == 503
    )
    assert mj_server.tasks == []  # a control call: not journaled
    (entry,) = mj_server.requests
    assert (entry["endpoint"], entry["status"], entry["body"]) == (
        "job-status",
        503,
        {"taskIds": ["x"]},
    )


def test_size_zero_turns_it_off() -> None:
    with mock_midjourney(_config(journal_size=0)) as mj:
        requests.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": "secret-key"})
        assert mj.requests == []


def test_long_and_binary_bodies_are_shown_bounded_with_their_real_size() -> None:
    """The journal keeps a body's first bytes and decodes them only when read: a long JSON
    text reads as its first 8,192 characters (multi-byte ones too) and "...", a binary body
    as its type and its whole length."""
    from mock_server.domain.lifecycle import MidjourneyBackend
    from mock_server.web.journal import journal_for, record_exchange

    backend = MidjourneyBackend(_config())
    long_json = ('{"prompt": "' + "é" * 50_000 + '"}').encode()
    image = bytes(range(256)) * 400
    for body, mimetype in ((long_json, "application/json"), (image, "image/png")):
        record_exchange(
            backend,
            method="POST",
            path="/midjourney/v1/submit-jobs",
            endpoint="submit-jobs",
            api_key="secret-key",
            body=body,
            mimetype=mimetype,
            status=200,
            dropped=False,
            answer=b'{"status": 0}',
            answer_mimetype="application/json",
        )
    text, binary = journal_for(backend).entries()
    assert text["body"] == '{"prompt": "' + "é" * (8192 - 12) + "..."
    assert text["answer"] == {"status": 0}
    assert binary["body"] == "<102400 bytes of image/png>"
    assert journal_for(backend).entries()[0]["body"] == text["body"]  # read twice, same


def test_a_dropped_backend_s_journal_is_freed_with_it() -> None:
    """Parts beside a backend (journal, item cache, scenario player) are made per backend and
    remembered for the next request; a mock that is dropped must not keep its journal alive."""
    import gc
    import weakref

    from mock_server.domain.lifecycle import MidjourneyBackend
    from mock_server.web.journal import journal_for

    other = MidjourneyBackend(_config())
    kept = journal_for(other)
    backend = MidjourneyBackend(_config())
    journal = weakref.ref(journal_for(backend))
    assert journal() is not kept
    assert journal_for(backend) is journal()  # the same part on the next request
    del backend  # the last one asked for
    gc.collect()
    assert journal() is None
    assert journal_for(other) is kept
