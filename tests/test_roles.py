"""The schemas' x-role annotations: what a request asks the provider to make, and its request ids."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sdcontracts._roles import Output, Steps, _getter, output_of, output_values, with_fresh_ids


def test_zhiqite_makes_n_iter_times_batch_size_images_of_the_requested_format() -> None:
    payload = {"n_iter": 3, "batch_size": 2, "width": 256, "alwayson_scripts": {"output_image_format": "png"}}
    assert Output(6, 256, None, "png") == output_of("zhiqite", payload)


def test_a_missing_count_counts_as_one_and_a_missing_size_as_unknown() -> None:
    assert Output(1, None, None, None) == output_of("aliyun", {"prompt": "x"})


def test_tensorart_counts_in_either_protobuf_spelling() -> None:
    for key in ("inputInitialize", "input_initialize"):
        job = {"stages": [{"type": "INPUT_INITIALIZE", key: {"count": "3"}}]}
        assert 3 == output_of("tensorart", job).count


def test_values_of_the_wrong_type_read_as_not_given() -> None:
    payload = {"request": {"image_num": "many", "width": True, "height": [1]}, "extra": {"response_image_type": 5}}
    assert Output(1, None, None, None) == output_of("novita", payload)


def test_numbers_as_strings_and_integers_read_alike_and_a_bool_is_no_number() -> None:
    payload = {"request": {"image_num": 2, "width": "640", "height": False}, "extra": {"response_image_type": "jpeg"}}
    assert Output(2, 640, None, "jpeg") == output_of("novita", payload)


def test_a_payload_that_is_no_object_asks_for_one_image_of_unknown_size() -> None:
    for payload in ([1, 2], "x", None, {"request": [1]}, {"extra": "png"}):
        assert Output(1, None, None, None) == output_of("novita", payload)
        assert Output(1, None, None, None) == output_of("aliyun", payload)


def test_the_output_values_are_the_fields_of_output_of() -> None:
    """The mock reads the tuple; conformance reads the Output: the same reading."""
    payload = {
        "n_iter": 2,
        "batch_size": 3,
        "width": 256,
        "alwayson_scripts": {"id_task": "t", "output_image_format": "png"},
    }
    assert (6, 256, None, "png") == output_values("zhiqite", payload) == tuple(_fields(output_of("zhiqite", payload)))


def _fields(output: Output) -> list[object]:
    return [output.count, output.width, output.height, output.format]


def test_fresh_ids_renew_every_request_id_and_leave_the_payload_alone() -> None:
    payload = {"Action": "GenerateImg2Img", "request_uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12}
    fresh = with_fresh_ids("picpik", payload)
    assert payload["request_uuid"] != fresh["request_uuid"] and uuid.UUID(fresh["request_uuid"])
    assert "0" * 8 == payload["request_uuid"][:8]


def test_fresh_ids_keep_the_field_a_case_breaks_on_purpose() -> None:
    payload = {"alwayson_scripts": {"id_task": 5}}
    assert payload == with_fresh_ids("zhiqite", payload, keep="/alwayson_scripts/id_task")
    assert with_fresh_ids("zhiqite", payload, keep="/prompt")["alwayson_scripts"]["id_task"] != 5


def test_fresh_ids_return_a_payload_without_request_ids_as_it_is() -> None:
    payload = {"request": {"prompt": "x"}}
    assert payload is with_fresh_ids("novita", payload)


def test_tensorart_counts_the_first_input_stage_with_a_count_and_skips_what_is_no_object() -> None:
    job = {
        "stages": ["x", {"type": "DIFFUSION"}, {"input_initialize": {"count": None}}, {"inputInitialize": {"count": 4}}]
    }
    assert (4, 1, 1) == (
        output_of("tensorart", job).count,
        output_of("tensorart", {"stages": {"inputInitialize": {"count": 4}}}).count,  # no array: not given
        output_of("tensorart", {"stages": [{"inputInitialize": [{"count": 4}]}]}).count,  # no object on the way
    )


def _walk(value: Any, steps: Steps, start: int = 0) -> Any:
    """The reading `_getter` compiles, stated as a plain walk: at an object step the first spelling
    present (whatever its value), at an array step each item in order until one gives a value."""
    for index in range(start, len(steps)):
        keys = steps[index]
        if keys is None:
            if not isinstance(value, list):
                return None
            return next((found for item in value if (found := _walk(item, steps, index + 1)) is not None), None)
        if not isinstance(value, dict):
            return None
        key = next((key for key in keys if key in value), None)
        if key is None:
            return None
        value = value[key]
    return value


_KEYS = st.sampled_from(["a", "b", "a_b"])
_STEPS = st.lists(st.one_of(st.none(), st.lists(_KEYS, min_size=1, max_size=2, unique=True).map(tuple)), max_size=4)
_JSON = st.recursive(
    st.none() | st.integers(-3, 3) | st.sampled_from(["", "x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(steps=_STEPS, value=_JSON)
def test_a_compiled_reader_reads_what_a_walk_of_its_steps_finds(steps: list[tuple[str, ...] | None],
                                                                  value: Any) -> None:  # fmt: skip
    assert _walk(value, tuple(steps)) == _getter(tuple(steps))(value)


def test_a_reader_takes_the_first_spelling_present_even_when_its_value_is_null() -> None:
    read = _getter((("a", "a_b"), ("c",)))
    assert (None, 1) == (read({"a": None, "a_b": {"c": 2}}), read({"a_b": {"c": 1}}))


def test_a_reader_ending_on_an_array_gives_its_first_item_other_than_null() -> None:
    read = _getter((("a",), None))
    assert (0, None, None) == (read({"a": [None, 0, 1]}), read({"a": [None]}), read({"a": {"b": 1}}))
