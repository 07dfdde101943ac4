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
    "Untranslatable",
    "Violation",
    "__version__",
    "canonicalize",
    "capabilities",
    "disputes",
    "provider",
    "providers",
    "schemas",
    "translate",
    "validate",
]

# imported on first use (PEP 562), keeping `import sdcontracts` cheap: name -> its module
_LAZY = {
    "Dispute": "._disputes", "Reading": "._disputes", "disputes": "._disputes",
    "Untranslatable": ".canonical", "canonicalize": ".canonical", "capabilities": ".canonical",
    "translate": ".canonical",
}  # fmt: skip

for _name in __all__:
    if _name[0].isupper() and _name not in _LAZY:
        globals()[_name].__module__ = __name__
del _name

if TYPE_CHECKING:
    from ._disputes import Dispute, Reading, disputes
    from .canonical import Untranslatable, canonicalize, capabilities, translate


def __getattr__(name: str) -> Any:
    """The dispute types and the canonical request's functions load with their first use."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
