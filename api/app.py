"""The FastAPI application (composition root)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import models  # noqa: F401  (registers every table)
from api import metrics, problems
from api.routers import assist, auth, calls, dispatch, kb, org, qa, reports, softphone, tickets, ws
from models.db import make_engine, make_sessionmaker
from models.settings import Settings, get_settings

log = logging.getLogger("hotline.api")

WEB_DIST = Path(__file__).parent / "web" / "dist"

TAGS = [
    {"name": "认证", "description": "登录与令牌"},
    {"name": "组织机构", "description": "租户（中心/工作站）、承办单位、用户"},
    {"name": "工单", "description": "工单受理、交办、签收、答复、回访、办结等全流程"},
    {"name": "话务", "description": "坐席、技能组、队列、语音导航、黑名单、通话记录、录音"},
    {"name": "知识库", "description": "知识分类、知识文章、部门黄页、知识提问、检索"},
    {"name": "智能辅助", "description": "实时知识推荐、智能问答"},
    {"name": "质检", "description": "转写、自动质检、复核"},
    {"name": "智能派单", "description": "派单模型、权责清单、并案、热点"},
    {"name": "报表", "description": "考核指标与报表"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="12345 政务服务便民热线平台",
        version="0.1.0",
        description="话务、工单、知识库与智能辅助的一体化平台。错误统一以 application/problem+json 返回。",
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.resolved_database_url(), echo=settings.sql_echo)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    from api.worker import celery_app  # configures the Celery app shared tasks publish through

    app.state.celery = celery_app

    problems.install(app)
    metrics.install(app)
    for module in (auth, org, tickets, calls, kb, assist, qa, dispatch, reports, softphone, ws):
        app.include_router(module.router)

    @app.get("/api/health", tags=["认证"], summary="健康检查")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    if WEB_DIST.is_dir():
        app.mount("/assets", StaticFiles(directory=WEB_DIST / "assets"), name="assets")

        @app.get("/{path:path}", include_in_schema=False)
        def spa(path: str) -> FileResponse:
            if path == "api" or path.startswith("api/"):
                # an unknown API path is a 404 problem, not the web page
                raise StarletteHTTPException(404, f"接口 /{path} 不存在")
            candidate = WEB_DIST / path
            if path and candidate.is_file() and WEB_DIST in candidate.resolve().parents:
                return FileResponse(candidate)
            return FileResponse(WEB_DIST / "index.html")
    else:

        @app.get("/", include_in_schema=False)
        def index() -> HTMLResponse:
            return HTMLResponse(
                "<html><body><h1>12345 政务服务便民热线平台</h1>"
                '<p>界面尚未构建。接口文档：<a href="/docs">/docs</a></p></body></html>'
            )

    return app
