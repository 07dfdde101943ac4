"""What is checked for one case, through the typed client, at one target.

A valid request must be accepted, its submit and task responses must validate against the
response schemas, the task must reach SUCCEEDED with the number of images the request asks for,
and the first image must be in the requested format and size. A request breaking one rule, sent
raw (no client-side validation, no ids or signatures added), must be rejected with the provider's
documented error shape; on the mock the error must also name the rule and the JSON Pointer.
Cases at credential fields (PICPIK's ``PublicKey``, ``Signature``) are sent unsigned and must be
refused, as an auth error or a rejected request.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import (
    AuthError,
    ProviderError,
    RequestInvalid,
    RequestRejected,
    TaskFailed,
    TaskTimeout,
)
from .._images import read_image
from .._registry import ByProvider
from .._roles import output_of, with_fresh_ids
from .._validation import validate
from ..clients._base import SyncClient
from ._cases import Case
from ._targets import BudgetExhausted

if TYPE_CHECKING:
    from .._provider import Provider

__all__ = ["PREPARE", "Verdict", "check", "needs_preparation", "preparation_requests"]

_FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}


@dataclass
class Verdict:
    """How a case went: ``problems`` empty means the target agreed with the contract."""

    case: Case
    outcome: str  # one line: "accepted; task 12 succeeded with 2 images", "rejected: …"
    problems: list[str] = field(default_factory=list)
    sent: Any = None  # the body actually submitted (after preparation), for the failing-case file
    accepted: bool | None = None  # whether the target took the request: None when it neither took nor refused it

    @property
    def agreed(self) -> bool:
        return not self.problems

    def failed(self, outcome: str, problem: str) -> Verdict:
        """This verdict, ended: what happened and the problem it is."""
        self.outcome = outcome
        self.problems.append(problem)
        return self


def check(client: SyncClient[Any], case: Case, *, is_mock: bool, poll_interval: float, timeout: float,
          overrides: dict[str, Any] | None = None, max_poll_interval: float | None = None) -> Verdict:  # fmt: skip
    """Send ``case`` through ``client`` and judge what came back (polls as `SyncClient.wait` does)."""
    if case.kind == "valid":
        return _check_valid(client, case, poll_interval=poll_interval, timeout=timeout, overrides=overrides,
                            max_poll_interval=max_poll_interval)  # fmt: skip
    return _check_invalid(client, case, is_mock=is_mock, overrides=overrides)


# -- valid requests ---------------------------------------------------------------------------------


def _check_valid(client: SyncClient[Any], case: Case, *, poll_interval: float, timeout: float,
                 overrides: dict[str, Any] | None, max_poll_interval: float | None) -> Verdict:  # fmt: skip
    provider = case.provider
    payload = with_fresh_ids(provider, _merged(case.payload, overrides))
    verdict = Verdict(case, "not sent", sent=payload)
    report = validate(provider, payload) if overrides else None
    if report is not None and not report.ok:
        variable = f"SDCONTRACTS_{provider.upper()}_PAYLOAD"
        verdict.problems.append(f"{variable} makes the request invalid: {report.violations[0]}")
        return verdict
    prepare = PREPARE[provider]
    payload = prepare(client, payload) if prepare is not None else payload
    verdict.sent = payload
    try:
        submitted = client.submit(payload)
    except RequestInvalid as error:  # the strategies and the validator disagree: a bug in sdcontracts
        return verdict.failed(
            "not sent: the client's own validation refused it",
            f"sdcontracts generated a request its validator refuses: {error}",
        )
    except (AuthError, RequestRejected) as error:
        verdict.accepted = False
        return verdict.failed(f"refused: {_describe(error)}", f"a valid request was refused: {_describe(error)}")
    except ProviderError as error:
        return verdict.failed(f"failed: {_describe(error)}", f"submitting a valid request failed: {_describe(error)}")
    verdict.accepted = True
    verdict.problems += _schema_problems(provider, "img2img.response", submitted.raw, "the submit response")
    try:
        task = client.wait(submitted, poll_interval=poll_interval, timeout=timeout, max_poll_interval=max_poll_interval)
    except TaskFailed as error:
        return verdict.failed(
            f"accepted; task {submitted.id} failed: {error.reason}", f"the task failed: {error.reason}"
        )
    except TaskTimeout:
        return verdict.failed(
            f"accepted; task {submitted.id} still unfinished after {timeout:g} s",
            f"the task did not finish within {timeout:g} s",
        )
    except ProviderError as error:
        return verdict.failed(
            f"accepted; polling task {submitted.id} failed: {_describe(error)}",
            f"polling the task failed: {_describe(error)}",
        )
    verdict.problems += _schema_problems(provider, "task.response", task.raw, "the task response")
    wanted = output_of(provider, payload)
    verdict.outcome = f"accepted; task {task.id} succeeded with {len(task.images)} image(s)"
    if len(task.images) != wanted.count:
        verdict.problems.append(f"the request asks for {wanted.count} image(s); the task has {len(task.images)}")
    if task.images:
        verdict.problems += _image_problems(client, task.images[0], wanted.format, wanted.width, wanted.height)
    return verdict


def _image_problems(client: SyncClient[Any], image: Any, fmt: str | None, width: int | None,
                    height: int | None) -> list[str]:  # fmt: skip
    try:
        data = client.download(image)
    except ProviderError as error:
        return [f"downloading the first image failed: {_describe(error)}"]
    try:
        info = read_image(data)
    except ValueError as error:
        return [f"the first image is not an image: {error}"]
    problems = []
    if fmt is not None and _FORMATS.get(fmt.lower(), fmt.lower()) != info.format:
        problems.append(f"the request asks for {fmt} images; the first image is {info.format}")
    asked = f"{width or 'any'}x{height or 'any'}"
    if (width is not None and info.width != width) or (height is not None and info.height != height):
        problems.append(f"the request asks for {asked} px; the first image is {info.width}x{info.height}")
    return problems


# -- invalid requests -------------------------------------------------------------------------------


def _check_invalid(client: SyncClient[Any], case: Case, *, is_mock: bool, overrides: dict[str, Any] | None) -> Verdict:
    provider = case.provider
    payload = with_fresh_ids(provider, case.payload, keep=case.path)
    if overrides:
        merged = with_fresh_ids(provider, _merged(case.payload, overrides), keep=case.path)
        if validate(provider, merged).rules == {case.rule}:  # the override must not repair the case
            payload = merged
    sealed = client.seal(payload)
    # Sealing (PICPIK's body signature) must not repair the case: one breaking PublicKey or
    # Signature, or dropping either, goes unsigned, and must be refused all the same.
    unsigned = sealed is not payload and validate(provider, sealed).rules != {case.rule}
    body = payload if unsigned else sealed
    verdict = Verdict(case, "not sent", sent=body)
    try:
        submitted = client.submit(body, raw=True)
    except (AuthError, RequestRejected) as error:
        verdict.outcome = f"rejected: {_describe(error)}"
        verdict.accepted = False
        if isinstance(error, AuthError) and not unsigned:
            verdict.problems.append(f"refused as an auth error, not as a rejected request: {_describe(error)}")
        verdict.problems += _schema_problems(provider, "error", error.body, "the error")
        expected = f"[{case.rule}] {case.path or '/'}"
        if is_mock and not unsigned and expected not in error.message:
            verdict.problems.append(f"the error does not name {expected}: {error.message!r}")
        return verdict
    except ProviderError as error:
        return verdict.failed(
            f"failed: {_describe(error)}", f"expected a rejection, got {type(error).__name__}: {_describe(error)}"
        )
    verdict.outcome = f"accepted as task {submitted.id}"
    verdict.accepted = True
    verdict.problems.append(f"accepted (task {submitted.id}) although it breaks {case.rule} at {case.path or '/'}")
    if not is_mock:  # stop a live generation if it can be (the budget permitting: the verdict is in)
        with contextlib.suppress(ProviderError, NotImplementedError, BudgetExhausted):
            client.cancel(submitted)
    return verdict


# -- shared -----------------------------------------------------------------------------------------


def _describe(error: ProviderError) -> str:
    text = str(error)
    return text if len(text) <= 300 else text[:297] + "…"


def _schema_problems(provider: str, schema: str, body: Any, what: str) -> list[str]:
    report = validate(provider, body, schema=schema)
    return [f"{what} breaks {schema}: [{v.rule}] {v.path or '/'}: {v.message}" for v in report.violations[:3]]


def _merged(payload: Any, overrides: dict[str, Any] | None) -> Any:
    """``payload`` with ``overrides`` merged in, objects recursively (override values win)."""
    if not overrides or not isinstance(payload, dict):
        return copy.deepcopy(payload)
    merged = copy.deepcopy(payload)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# -- per-provider preparation of valid requests -------------------------------------------------------


def _hook(name: str) -> Callable[[Provider], Any]:
    return lambda spec: getattr(spec.hook("strategies"), name, None)


# provider -> what makes a valid request sendable, where its strategies module says (Tensor.Art
# uploads the images a job names: generated resource ids name nothing, and are refused)
PREPARE: Mapping[str, Callable[[SyncClient[Any], Any], Any] | None] = ByProvider(_hook("prepare"))
_REQUESTS: Mapping[str, Callable[[Any], int] | None] = ByProvider(_hook("preparation_requests"))


def preparation_requests(provider: str, payload: Any) -> int:
    """Requests `PREPARE` sends for ``payload`` before its submit (for budget plans): a
    Tensor.Art upload is two, the resource and then the PUT."""
    count = _REQUESTS[provider]
    return count(payload) if count is not None else 0


def needs_preparation(provider: str, payload: Any) -> bool:
    """Whether a valid request needs `PREPARE` (e.g. Tensor.Art resources uploaded) before the
    provider can accept it; False when it can be sent as it is."""
    return preparation_requests(provider, payload) > 0
