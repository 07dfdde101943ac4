"""Tensor.Art TAMS v1, as the mock answers it.

- ``POST /v1/jobs`` → ``{"job": {"id", "status": "CREATED"}}``; ``GET /v1/jobs/{id}``;
  ``DELETE /v1/jobs/{id}`` → ``{"jobId"}``; ``POST /v1/resource/image`` → an upload slot whose
  ``putUrl`` is ``PUT /_mock/upload/{resourceId}`` on the mock; ``POST /v1/jobs/credits``.
- Auth: ``Bearer <token>``, or ``TAMS-SHA256-RSA`` verified against the configured public key
  (by default the mock makes a key pair and hands out the private half:
  ``Mock.credentials("tensorart", "rsa")``), with the signed timestamp within ``signature_window``
  seconds of wall-clock time (signatures carry Unix seconds, whatever the mock's own clock) and each
  nonce accepted once within that window. Failures: HTTP 401, ``{"code": 16, …}``.
- Errors are ``google.rpc.Status``: ``{"code": <gRPC code>, "message", "details": [ErrorInfo…]}``
  with the HTTP status grpc-gateway uses (3→400, 16→401, 5→404, 8→429, 13→500). A contract
  violation lists each rule id and JSON Pointer in ``message`` and one ErrorInfo per violation.
- Output is protobuf JSON: lowerCamel names, 64-bit integers (``id``, ``queueRank``, ``expiredIn``,
  ``stageIndex``) as decimal strings; input may use either spelling (the validator checks both).
- Lifecycle: CREATED on creation; WAITING (``waitingInfo.queueRank``) while queued; RUNNING
  (``runningInfo`` with per-image progress); SUCCESS (``successInfo.images``, ``count`` PNGs); FAILED
  (``failedInfo.reason``); CANCELED. Canceling a finished job answers ``{"jobId"}`` and changes
  nothing (TAMS's own answer is undocumented).
- Stateful rules: ``imageResourceId`` and ``maskImageResourceId`` must name uploaded resources; the
  mask must be a JPEG of exactly the source image's size. ``requestId`` is idempotent: the same id
  returns the same job.
- Image size, the mock's choice: an upscaler's ``hrResizeX`` x ``hrResizeY`` (or the base size times
  ``hrScale``); else the DIFFUSION stage's (or the nested diffusion's) width x height; else the source
  image's size; else 512 x 512.
- Credits, the mock's formula: per DIFFUSION, count x steps x (width x height / 512²) / 10; per
  post-processing stage, count; rounded to 2 places. The body is the job it prices, validated as
  ``POST /v1/jobs`` validates it (``provider.json`` notes the inference).
- With rate limits on: 5 requests per second per credential → 429, ``{"code": 8}``, ``Retry-After``.
"""

from __future__ import annotations

import functools
import time
from random import getrandbits
from types import MappingProxyType
from typing import Any

from sdcontracts import Report
from sdcontracts._images import read_image
from sdcontracts.auth import SignatureError, parse_tams_authorization, verify_tams_signature
from sdcontracts.rules._access import field, proto_value
from sdcontracts.rules.tensorart import DIFFUSION, INPAINT, INPUT, UPSCALER, Job

from .._faults import Fault
from .._handler import Context, Handler, describe
from .._state import FAILED, QUEUED, RUNNING, SUCCEEDED, MockTask, NonceStore, RateLimiter, Resource
from .._wire import MockRequest, MockResponse, json_response, new_uuid
from ._common import clock_skew, equal, number

__all__ = ["TensorArtHandler"]

_GRPC = {"invalid": 3, "auth": 16, "not-found": 5, "rate": 8, "server": 13}
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_PRICED = frozenset({"IMAGE_TO_UPSCALER", "IMAGE_TO_ADETAILER", INPAINT})  # a credit per image each


class TensorArtHandler(Handler):
    provider = "tensorart"
    wall = staticmethod(time.time)  # signatures carry Unix seconds; tests may replace this
    endpoints = MappingProxyType({("PUT", "upload"): "receive_upload"})  # putUrl: PUT /_mock/upload/{resourceId}

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.nonces = NonceStore(lambda: self.wall(), context.config.signature_window)

    # -- keys and auth ---------------------------------------------------------------------------

    @functools.cached_property
    def _keys(self) -> tuple[bytes, str | None]:
        configured = self.config.tensorart_public_key
        if configured:
            return configured.encode(), None
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return public, private

    def private_key(self) -> str:
        """The PEM private key matching the mock's public key (when the mock made the pair)."""
        private = self._keys[1]
        if private is None:
            raise ValueError("the mock is configured with your public key: sign with your own private key")
        return private

    def credential(self, name: str) -> str:
        return self.private_key() if name == "private_key" else super().credential(name)

    def secret_files(self) -> dict[str, str]:
        return {"TAMS-SHA256-RSA private key": self.private_key()} if self._keys[1] is not None else {}

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        header = request.headers.get("authorization")  # names are lower-case
        if not header:
            return self.error("auth", "missing Authorization header", request)
        if header.startswith("Bearer "):
            if equal(header[len("Bearer ") :].strip(), self.credentials["token"]):
                return None
            return self.error("auth", "invalid token", request)
        try:
            signed = parse_tams_authorization(header)
            if not equal(signed.app_id, self.credentials["app_id"]):
                raise SignatureError("unknown-app", "app not found")
            skew = clock_skew(signed.timestamp, self.wall(), 1)
            if skew is None:
                raise SignatureError("malformed", "the timestamp is not a number of seconds")
            if abs(skew) > self.config.signature_window:
                raise SignatureError("stale", f"the timestamp is {abs(skew):.0f} s away from now")
            verify_tams_signature(self._keys[0], signed, request.method, request.target, request.body)
            if self.nonces.seen_before(f"{signed.app_id}:{signed.nonce}"):
                raise SignatureError("replayed", "the nonce was already used")
        except SignatureError as error:
            return self.error("auth", f"Signature verification failed: {error}", request)
        return None

    # -- errors ----------------------------------------------------------------------------------

    def error(
        self,
        kind: str,
        message: str,
        request: MockRequest,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> MockResponse:
        grpc = int(code) if code is not None else _GRPC[kind]
        status = int(self.codes.get(str(grpc), {}).get("status", 500))
        headers = {"retry-after": f"{max(1, round(retry_after))}"} if retry_after is not None else {}
        return json_response(status, {"code": grpc, "message": message, "details": details or []}, headers)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        details = [
            {"@type": _ERROR_INFO, "reason": v.rule, "domain": "sdcontracts.mock", "metadata": {"path": v.path or "/"}}
            for v in report.violations
        ]
        return self.error("invalid", describe(report), request, details=details)

    def rate_limiter(self) -> RateLimiter:
        return RateLimiter(self.clock, limit=5, window=1.0)  # "currently set to 5 QPS"

    def limit_key(self, request: MockRequest, body: Any) -> str:
        header = request.header("authorization")
        return header.split(",", 1)[0] if header.startswith("TAMS") else header

    # -- operations ------------------------------------------------------------------------------

    def kept(self, payload: Any, request: MockRequest) -> Any:
        # the stage count its answers report (Job.count), read without building the job again
        found = field(payload, "stages", protojson=True)
        return len(found[1]) if found is not None and isinstance(found[1], list) else 0

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        job = Job.of(body)
        assert job is not None  # validated: the job has its stage list
        source = self._source(job, request)
        if isinstance(source, MockResponse):
            return source
        task = self.new_task(
            body, request=request, fault=fault, size=self._size(job, source),
            task_id=str(10**17 + getrandbits(64) % (9 * 10**17)),  # an 18-digit uint64 (unique, not secret)
        )  # fmt: skip
        job_answer = {"id": task.id, "status": "CREATED"} if not task.polls else self._job(task, request, poll=False)
        response = json_response(200, {"job": job_answer})
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task = self.store.get(self.provider, params["jobId"])
        if task is None:
            return self.error("not-found", f"job {params['jobId']} not found", request)
        response = json_response(200, {"job": self._job(task, request, poll=True)})
        response.task_id = task.id
        return response

    def op_cancel(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task = self.store.get(self.provider, params["jobId"])
        if task is None:
            return self.error("not-found", f"job {params['jobId']} not found", request)
        self.store.cancel(task)
        response = json_response(200, {"jobId": task.id})
        response.task_id = task.id
        return response

    def op_resource(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        resource = Resource(id=new_uuid(), created=self.clock.now())
        self.store.new_resource(resource)
        document = {
            "resourceId": resource.id,
            "putUrl": f"{request.base_url}/_mock/upload/{resource.id}",
            "headers": {"Content-Type": "application/octet-stream"},
        }
        return json_response(200, document)

    def op_credits(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        job = Job.of(body)  # the job it prices, validated as POST /v1/jobs validates it (provider.json)
        assert job is not None
        first = job.first(INPUT)
        count = number(first.get("count") if first is not None else None, 1)
        credits = 0.0
        for stage in job.stages:
            if stage.type == DIFFUSION:
                diffusion = stage.member if isinstance(stage.member, dict) else {}
                area = number(proto_value(diffusion, "width"), 512) * number(proto_value(diffusion, "height"), 512)
                credits += count * number(proto_value(diffusion, "steps"), 20) * area / 512**2 / 10
            elif stage.type in _PRICED:
                credits += count
        return json_response(200, {"credits": round(credits, 2)})

    def receive_upload(self, request: MockRequest, resource_id: str) -> MockResponse:
        """The object-store PUT behind ``putUrl``: stores the image bytes."""
        resource = self.store.resource(resource_id)
        if resource is None:
            response = self.error("not-found", f"no upload slot {resource_id}", request)
        else:
            try:
                info = read_image(request.body)
            except ValueError as error:
                response = self.error("invalid", f"the upload is not an image: {error}", request)
            else:
                stored = Resource(resource.id, resource.created, request.body, info.format, info.width, info.height)
                self.store.put_resource(stored)
                response = MockResponse(200)
        response.provider, response.operation = self.provider, "upload"
        return response

    # -- helpers ---------------------------------------------------------------------------------

    def _source(self, job: Job, request: MockRequest) -> Resource | MockResponse | None:
        """The uploaded source image (None when the job names none), or the error when a resource
        the job names does not exist or was never uploaded, or its mask is not a JPEG of the source's
        size."""
        source: Resource | None = None
        for stage in job.stages:
            if stage.type == INPUT:
                resource_id = stage.get("imageResourceId")
                if resource_id is None:
                    continue
                found = self._uploaded(resource_id)
                if isinstance(found, str):
                    where = f"stages[{stage.index}].inputInitialize.imageResourceId"
                    return self.error("invalid", f"{where}: {found}", request)
                source = found
            elif stage.type == INPAINT and stage.member is not None:
                mask = self._uploaded(stage.get("maskImageResourceId"))
                where = f"stages[{stage.index}].imageToInpaint.maskImageResourceId"
                if isinstance(mask, str):
                    return self.error("invalid", f"{where}: {mask}", request)
                if mask.format != "jpeg":
                    return self.error("invalid", f"{where}: the mask must be a JPEG, not {mask.format}", request)
                if source is not None and (mask.width, mask.height) != (source.width, source.height):
                    size = f"{mask.width}x{mask.height}"
                    return self.error(
                        "invalid", f"{where}: the mask is {size}, the image {source.width}x{source.height}", request
                    )
        return source

    def _uploaded(self, resource_id: Any) -> Resource | str:
        resource = self.store.resource(str(resource_id))
        if resource is None:
            return f"resource {resource_id} does not exist"
        if resource.data is None:
            return f"resource {resource_id} was never uploaded (PUT the image to its putUrl)"
        return resource

    def _size(self, job: Job, source: Resource | None) -> tuple[int, int]:
        base: tuple[int, int] | None = None
        if source is not None and source.width and source.height:
            base = (source.width, source.height)
        for stage in job.stages:
            diffusion = stage.diffusion
            if isinstance(diffusion, dict):
                base = (number(proto_value(diffusion, "width"), 512), number(proto_value(diffusion, "height"), 512))
            if stage.type == UPSCALER and isinstance(stage.member, dict):
                scale = stage.get("hrScale")
                if scale is not None:
                    width, height = base or (512, 512)
                    base = (width * number(scale, 1), height * number(scale, 1))
                elif stage.get("hrResizeX") is not None:
                    base = (number(stage.get("hrResizeX"), 512), number(stage.get("hrResizeY"), 512))
        return base or (512, 512)

    def _job(self, task: MockTask, request: MockRequest, *, poll: bool) -> dict[str, Any]:
        status, phase, progress = self.status_of(task, request, poll=poll)
        job: dict[str, Any] = {"id": task.id, "status": status}
        stage_count: int = task.kept
        if phase == QUEUED:
            job["waitingInfo"] = {"queueRank": str(self.store.queue_rank(task))}
        elif phase == RUNNING:
            processing = [{"progress": round(progress * 100)} for _ in range(task.images)]
            job["runningInfo"] = {"stages": [{"stageIndex": str(stage_count - 1), "processingImages": processing}]}
        elif phase == SUCCEEDED:
            images = [
                {"id": f"{task.id}{index:02d}", "url": url, "expiredIn": "86400"}
                for index, url in enumerate(self.image_urls(task, request))
            ]
            job["successInfo"] = {"images": images, "stages": [{"stageIndex": str(i)} for i in range(stage_count)]}
        elif phase == FAILED:
            job["failedInfo"] = {"reason": task.fail_reason or "the job failed"}
        return job
