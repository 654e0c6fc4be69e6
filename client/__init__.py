"""The reference client for midjourney-api.com: small enough to read in one sitting, strict
enough to adopt as is.

```python
from client import MidjourneyClient

with MidjourneyClient() as mj:              # MJ_API_KEY / MJ_BASE_URL from the environment
    task = mj.wait(mj.submit("a red fox --ar 16:9"))
    print(task.images)
```
"""

from __future__ import annotations

# Read (not imported) by mock_server.provenance: this file is midjourney-api-mock's.
__mj_mock_part__ = True

from .api import DEFAULT_BASE_URL, MAX_IDS_PER_REQUEST, MidjourneyClient, __version__
from .errors import (
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    MidjourneyError,
    QuotaExceededError,
    RateLimitError,
    SchemaMismatch,
    ServerError,
    TransportError,
    ValidationError,
)
from .models import Task, TaskStatus
from .retry import Backoff, RetryPolicy
from .waiting import TaskFailed, TaskNotFound, WaitTimeout

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_REQUEST",
    "APIError",
    "AuthenticationError",
    "Backoff",
    "ConcurrencyLimitError",
    "MidjourneyClient",
    "MidjourneyError",
    "QuotaExceededError",
    "RateLimitError",
    "RetryPolicy",
    "SchemaMismatch",
    "ServerError",
    "Task",
    "TaskFailed",
    "TaskNotFound",
    "TaskStatus",
    "TransportError",
    "ValidationError",
    "WaitTimeout",
    "__version__",
]
