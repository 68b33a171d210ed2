"""The delivery engine's pure pieces, called directly with exact answers: the
response policy's defaults, the batch answer reader and a spool segment. Milliseconds each, so
`make mutation` kills their mutants without starting an engine.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from sentrial._delivery._policy import Action, ItemResult, for_status, parse_retry_after
from sentrial._delivery._spool import _Segment
from sentrial._delivery._wire import read_batch_results


def test_a_413_is_final_for_one_operation_unless_told_it_answers_several() -> None:
    # The item of a batch, or a lone operation: there is nothing to split.
    alone = for_status(413)
    assert (alone.action, alone.reason, alone.retry_after) == (
        Action.DEAD_LETTER,
        "rejected_413",
        None,
    )
    several = for_status(413, several=True)
    assert (several.action, several.reason) == (Action.SPLIT, "")


def test_retry_after_takes_finite_non_negative_seconds() -> None:
    assert [parse_retry_after(v) for v in ("0", "2.5", "-1", "nan", "inf", "", None)] == [
        0.0,
        2.5,
        None,
        None,
        None,
        None,
        None,
    ]


def test_retry_after_as_an_http_date_is_the_seconds_until_then() -> None:
    later = datetime(2100, 1, 1, tzinfo=UTC)
    before = time.time()
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    after = time.time()
    assert seconds is not None
    assert later.timestamp() - after <= seconds <= later.timestamp() - before
    # A date gone by: now. Not a date, or a date without a zone: unusable.
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000") is None


def test_an_item_result_without_a_message_or_id_has_empty_ones() -> None:
    item = ItemResult(503)
    assert (item.status, item.message, item.server_id, item.ok, item.retryable) == (
        503,
        "",
        None,
        False,
        True,
    )
    done = ItemResult(201, "m", "srv")
    assert (done.message, done.server_id, done.ok, done.retryable) == ("m", "srv", True, False)


def test_a_batch_answer_gives_each_items_index_status_id_and_message() -> None:
    body = (
        b'{"results": [{"index": 1, "status": 201, "id": "srv-1", "message": "created"},'
        b' {"index": 0, "status": 404}]}'
    )
    assert read_batch_results(body) == [(1, 201, "srv-1", "created"), (0, 404, None, "")]
    assert read_batch_results(b'{"results": [{"index": 0}]}') is None
    assert read_batch_results(b"[]") is None


def test_removing_a_segment_whose_directory_became_a_file_raises_nothing(tmp_path: Path) -> None:
    # shutdown() removes the segments it settled: a spool directory deleted and
    # replaced by a file meanwhile must not make it raise, nor leak the handle.
    directory = tmp_path / "spool"
    directory.mkdir()
    path = directory / "segment.jsonl"
    segment = _Segment(path, path.open("ab+"))
    shutil.rmtree(directory)
    directory.write_bytes(b"not a directory")
    segment.remove()
    assert segment.handle.closed
    assert directory.read_bytes() == b"not a directory"
