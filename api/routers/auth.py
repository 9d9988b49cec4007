"""Sign-in: OAuth2 password flow issuing JWT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import DB, CurrentScope, CurrentUser, get_settings_dep
from api.schemas import PROBLEM_RESPONSES
from models.errors import Unauthenticated
from models.org import ROLE_LABELS, Role, User
from models.security import issue_token, verify_password
from models.settings import Settings

router = APIRouter(prefix="/api/auth", tags=["认证"], responses=PROBLEM_RESPONSES)


class Me(BaseModel):
    id: int
    username: str
    full_name: str
    tenant_id: int
    tenant_name: str
    unit_id: int | None
    unit_name: str | None
    roles: list[str]
    role_labels: list[str]
    agent_number: str | None
    extension: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    user: Me


def me_of(user: User) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        tenant_id=user.tenant_id,
        tenant_name=user.tenant.name,
        unit_id=user.unit_id,
        unit_name=user.unit.name if user.unit else None,
        roles=list(user.roles),
        role_labels=[ROLE_LABELS[Role(r)] for r in user.roles],
        agent_number=user.agent_number,
        extension=user.extension,
    )


@router.post("/token", response_model=TokenOut, summary="登录，获取访问令牌")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DB,
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> TokenOut:
    user = db.scalar(select(User).where(User.username == form.username))
    if user is None or not user.active or not verify_password(user.password_hash, form.password):
        raise Unauthenticated("用户名或密码错误", field="password")
    token = issue_token(settings, user_id=user.id, token_version=user.token_version)
    return TokenOut(access_token=token, user=me_of(user))


@router.get("/me", response_model=Me, summary="当前用户")
def me(user: CurrentUser) -> Me:
    return me_of(user)


@router.post("/logout", status_code=204, summary="注销：使该用户所有令牌失效")
def logout(user: CurrentUser, db: DB, _: CurrentScope) -> None:
    user.token_version += 1
    db.commit()
