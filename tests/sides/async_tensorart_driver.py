"""Drive async-tensorart (a third-party TAMS client, TAMS-SHA256-RSA signed) against an endpoint.

Runs in its own environment (``async-tensorart-requirements.txt``: it pins a cryptography older
than sdcontracts allows), never imported by the tests: ``python async_tensorart_driver.py URL
APP_ID KEY_FILE`` submits the job below, polls it until it ends, and prints one JSON line with
what the client decoded. The job is built with the library's own structs, as its users build one.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import msgspec
from async_tensorart.client import TensorArt
from async_tensorart.signature import PrivateKey
from async_tensorart.structs.jobs.post.diffusion_input import DiffusionInput, Prompt
from async_tensorart.structs.jobs.post.enums import VAE, Sampler, StageTypeT
from async_tensorart.structs.jobs.post.job import PostJob
from async_tensorart.structs.jobs.post.stage import CreateJobRequestStage, InputInitializeInput


def job() -> PostJob:
    """The call the corpus records (schemas/tensorart/examples/async-tensorart-post-job.json)."""
    return PostJob(
        request_id="async-tensorart-0.2.1-example",
        stages=[
            CreateJobRequestStage(
                type=StageTypeT.INPUT_INITIALIZE,
                input_initialize=InputInitializeInput(seed=933011881, count=2),
            ),
            CreateJobRequestStage(
                type=StageTypeT.DIFFUSION,
                diffusion=DiffusionInput(
                    width=768,
                    height=512,
                    prompts=[Prompt(text="1girl, masterpiece", weight=1.0)],
                    negative_prompts=[Prompt(text="lowres", weight=1.0)],
                    sd_model="600423083519508503",
                    sd_vae=VAE.AUTOMATIC,
                    sampler=Sampler.DPM_PP_2M_KARRAS,
                    steps=20,
                    cfg_scale=7.0,
                ),
            ),
        ],
    )


async def main(url: str, app_id: str, key_file: str) -> None:
    async with aiohttp.ClientSession() as session:
        client = TensorArt(app_id, url.rstrip("/") + "/v1/", session, PrivateKey(Path(key_file)))
        answer = await client.post_job(job())
        assert answer is not None
        outcome = {"job": answer.id, "status": answer.status.value, "sent": msgspec.to_builtins(job())}
        try:
            polled = await client.get_job(answer.id)
            outcome["polled"] = polled.status.value if polled is not None else None
        except msgspec.ValidationError as error:  # the library's decoder against the wire it got
            outcome["poll_error"] = str(error)
        print(json.dumps(outcome))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
