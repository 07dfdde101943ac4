"""Typed httpx clients, sync and async, one module per provider::

    from sdcontracts.clients.novita import NovitaClient, AsyncNovitaClient
    from sdcontracts.clients.tensorart import TensorArtClient, AsyncTensorArtClient
    from sdcontracts.clients.picpik import PicpikClient, AsyncPicpikClient
    from sdcontracts.clients.aliyun import AliyunClient, AsyncAliyunClient
    from sdcontracts.clients.zhiqite import ZhiqiteClient, AsyncZhiqiteClient

Every client has ``submit`` (validates first, raising `sdcontracts.RequestInvalid`),
``get_task``, ``wait`` (poll interval, deadline, progress callback), ``generate`` (submit and
wait), ``download``, and ``cancel`` where the provider has one; Tensor.Art adds ``upload_image``.
They share the result types below and the error hierarchy in ``sdcontracts``.
"""

from __future__ import annotations

from ._base import Image, Retry, Submitted, Task, TaskState

__all__ = ["Image", "Retry", "Submitted", "Task", "TaskState"]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
