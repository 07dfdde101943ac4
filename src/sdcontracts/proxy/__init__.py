"""sdcontracts.proxy: the contract in front of a real provider, for services in any language.

    sdcontracts proxy novita --upstream https://api.novita.ai --port 8080

A reverse proxy for one provider: point a service's base URL at it. Each request is validated as
the provider receives it (``sdcontracts.validate(..., view="wire")``):

- ``mode="enforce"`` (the default): a request breaking the contract is answered at once in the
  provider's own error shape and status (the mock's renderers) and never reaches the provider; one
  with warnings only (values the sources dispute) is forwarded, the disputes named in an
  ``X-Sdcontracts-Warnings`` header of its answer; ``strict=True`` refuses those too.
- ``mode="report"``: everything is forwarded; what breaks the contract is counted and logged.

Bodies and headers go upstream byte for byte (signatures made over them still verify), the proxy
holds no credential, and answers come back unchanged, each checked for drift against the response
schemas (`_answers`). An upstream that refuses, times out, resets or garbles its answer is the
provider's own 5xx shape (502, or 504 for time). ``GET /_proxy/metrics`` is Prometheus text,
``GET /_proxy/health`` a JSON summary; the log is one JSON line per call. ``record="calls.json"``
writes a cassette (``sdcontracts conformance --target replay:calls.json`` judges the provider by
it), and ``budget=N`` stops forwarding after N upstream calls with the provider's rate-limit answer.

In-process, any ASGI server or client takes the app::

    from sdcontracts.proxy import create_app
    app = create_app("novita", upstream="https://api.novita.ai", mode="report")

    with BackgroundProxy(app) as url:      # uvicorn on a free loopback port, in a thread
        NovitaClient(api_key=..., base_url=url)

The pytest plugin's ``sd_proxy`` fixture starts one in front of ``sd_http_mock``. Nothing is kept
between calls apart from the recording and the budget's count, so any number of replicas can
stand behind a load balancer (each with its own budget and recording).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import MODES, ProxyApp
    from ._serve import BackgroundProxy, create_app

_EXPORTS = {"._app": ("MODES", "ProxyApp"), "._serve": ("BackgroundProxy", "create_app")}
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    # loaded on first use: `sdcontracts proxy --help` and the recording's replay need no server extras
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = ["MODES", "BackgroundProxy", "ProxyApp", "create_app"]
