"""FastAPI dependencies: database session, the signed-in user and their scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from models import idempotency
from models.errors import PermissionDenied, Unauthenticated
from models.org import Role, User
from models.scope import Scope, scope_for
from models.security import decode_token
from models.settings import Settings

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. Routers commit explicitly; anything uncommitted is rolled back."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


DB = Annotated[Session, Depends(get_db)]


def get_current_user(request: Request, db: DB, token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise Unauthenticated("缺少访问令牌")
    claims = decode_token(request.app.state.settings, token)
    user = db.get(User, int(claims["sub"]))
    if user is None or not user.active or user.token_version != claims.get("ver"):
        raise Unauthenticated("用户不存在、已停用或令牌已失效")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_scope(db: DB, user: CurrentUser) -> Scope:
    return scope_for(db, user)


CurrentScope = Annotated[Scope, Depends(get_scope)]


def require_roles(*roles: Role):
    """Dependency factory: the user must hold one of `roles` (admin always passes)."""

    def _check(scope: CurrentScope) -> Scope:
        if not scope.has(Role.admin, *roles):
            names = "、".join(str(r) for r in roles)
            raise PermissionDenied(f"需要以下角色之一：{names}")
        return scope

    return Depends(_check)


class PageParams(BaseModel):
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: Annotated[int, Query(ge=1, description="页码，从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 20,
) -> PageParams:
    return PageParams(page=page, size=size)


Paging = Annotated[PageParams, Depends(page_params)]


# Header of every create endpoint that may be retried (see models.idempotency)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        max_length=idempotency.MAX_KEY,
        description="重试同一创建请求时返回首次结果；同一 Key 用于不同内容返回 409",
    ),
]
