"""Domain errors. Domain packages raise these; the API turns them into problem+json."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    title: str = "请求无效"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class Invalid(DomainError):
    status = 422
    title = "参数错误"


class NotFound(DomainError):
    status = 404
    title = "资源不存在"


class PermissionDenied(DomainError):
    status = 403
    title = "无权操作"


class Unauthenticated(DomainError):
    status = 401
    title = "未登录或登录已过期"


class Conflict(DomainError):
    """The action is not allowed in the current state, or lost a race."""

    status = 409
    title = "状态冲突"
