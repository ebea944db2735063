"""The signed record stream between a worker and the parent."""

from __future__ import annotations

import os

from pytest_tinytorch.grading.protocol import Decoder, Forged, encode, make_writer

KEY = bytes(range(16))


def test_records_round_trip_in_order_even_when_split_across_reads():
    data = encode(KEY, 0, {"e": "start", "t": "test_a"}) + encode(KEY, 1, {"e": "end", "t": "test_a", "ok": True})
    decoder = Decoder(KEY)
    records = decoder.feed(data[:7]) + decoder.feed(data[7:40]) + decoder.feed(data[40:])
    assert records == [{"e": "start", "t": "test_a", "n": 0}, {"e": "end", "t": "test_a", "ok": True, "n": 1}]


def test_a_line_signed_with_another_key_is_forged():
    (record,) = Decoder(KEY).feed(encode(b"x" * 16, 0, {"e": "done"}))
    assert isinstance(record, Forged) and record.why == "a bad signature"


def test_printed_text_and_replayed_records_are_forged():
    genuine = encode(KEY, 0, {"e": "done"})
    decoder = Decoder(KEY)
    assert decoder.feed(genuine) == [{"e": "done", "n": 0}]
    replayed, printed = decoder.feed(genuine + b'{"e": "done"}\n')
    assert isinstance(replayed, Forged) and "sequence" in replayed.why
    assert isinstance(printed, Forged)


def test_an_endless_line_is_forged_rather_than_buffered_forever():
    (record,) = Decoder(KEY).feed(b"x" * (70 * 1024))
    assert isinstance(record, Forged)


def test_the_writer_sends_whole_signed_lines():
    read, write = os.pipe()
    send = make_writer(write, KEY, os.write)
    send({"e": "cell", "i": 3})
    send({"e": "done"})
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        assert Decoder(KEY).feed(stream.read()) == [{"e": "cell", "i": 3, "n": 0}, {"e": "done", "n": 1}]
