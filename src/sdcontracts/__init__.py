"""sdcontracts: schema-first validation, clients and contract tests for Stable Diffusion
img2img provider APIs (Tensor.Art, PICPIK, Novita/PPInfra, Alibaba Cloud, Zhiqite).

>>> import sdcontracts
>>> report = sdcontracts.validate("aliyun", {"negative_prompt": "blurry"})
>>> report.violations[0].message
"the payload has no field 'negative_prompt'; did you mean 'negtive_prompt'?"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._catalogue import providers
from ._catalogue import schema_names as schemas
from ._exceptions import (
    AuthError,
    ProviderError,
    RateLimited,
    RequestInvalid,
    RequestRejected,
    ServerError,
    TaskFailed,
    TaskNotFound,
    TaskTimeout,
    TransportError,
)
from ._provider import Provider, ProviderInvalid
from ._registry import DuplicateProvider
from ._registry import get as provider
from ._report import Report, Violation
from ._validation import validate

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "Dispute",
    "DuplicateProvider",
    "Provider",
    "ProviderError",
    "ProviderInvalid",
    "RateLimited",
    "Reading",
    "Report",
    "RequestInvalid",
    "RequestRejected",
    "ServerError",
    "TaskFailed",
    "TaskNotFound",
    "TaskTimeout",
    "TransportError",
    "Violation",
    "__version__",
    "disputes",
    "provider",
    "providers",
    "schemas",
    "validate",
]

_LAZY = frozenset({"Dispute", "Reading", "disputes"})  # from ._disputes, on first use (PEP 562)

for _name in __all__:
    if _name[0].isupper() and _name not in _LAZY:
        globals()[_name].__module__ = __name__
del _name

if TYPE_CHECKING:
    from ._disputes import Dispute, Reading, disputes


def __getattr__(name: str) -> Any:
    """The dispute types load with their first use, keeping `import sdcontracts` cheap."""
    if name in _LAZY:
        from . import _disputes

        value = getattr(_disputes, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
