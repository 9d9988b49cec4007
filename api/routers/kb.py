"""知识库 API: categories, articles and their lifecycle, versions, search, hot ranking, citations,
yellow pages, knowledge questions, independent bases, import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import DB, CurrentScope, IdempotencyKey, Paging
from api.kb_index import kb_index, refresh
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page
from kb import citations, files, io, notices, questions, retrieval, service, yellow_pages
from kb.enums import ArticleAction, Permission
from kb.lifecycle import allowed_actions
from kb.search.index import KBIndex
from models import idempotency
from models.errors import Invalid
from models.kb import Category

router = APIRouter(prefix="/api/kb", tags=["知识库"], responses=PROBLEM_RESPONSES)
Index = Annotated[KBIndex, Depends(kb_index)]
MAX_UPLOAD = 20 * 1024 * 1024


# ---------------------------------------------------------------- schemas


class CategoryOut(ORMModel):
    id: int
    tenant_id: int
    parent_id: int | None
    name: str
    path: str
    sort: int


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    sort: int = 0


class Grant(BaseModel):
    role: str | None = None
    unit_id: int | None = None
    can_read: bool = True
    can_write: bool = False
    can_review: bool = False


class GrantOut(Grant, ORMModel):
    id: int
    category_id: int


class BaseIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["unit", "personal"]
    shared: bool = False


class BaseOut(ORMModel):
    id: int
    tenant_id: int
    name: str
    kind: str
    owner_unit_id: int | None
    owner_user_id: int | None
    shared: bool


class Attachment(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=500)
    # set on uploaded files (POST /articles/{id}/files); sent back unchanged when attachments are edited
    file_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    size: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    sha256: str | None = Field(default=None, max_length=64)


class ArticleIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=200_000)
    body_format: Literal["markdown", "html"] = "markdown"
    category_id: int | None = None
    base_id: int | None = None
    keywords: list[str] = []
    district: str | None = Field(default=None, max_length=50)
    unit_id: int | None = None
    reply_template: str = Field(default="", max_length=20_000)
    attachments: list[Attachment] = []
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ArticlePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=200_000)
    body_format: Literal["markdown", "html"] | None = None
    category_id: int | None = None
    keywords: list[str] | None = None
    district: str | None = Field(default=None, max_length=50)
    unit_id: int | None = None
    reply_template: str | None = Field(default=None, max_length=20_000)
    attachments: list[Attachment] | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    version: int | None = Field(default=None, description="编辑所基于的版本号（乐观锁）")
    note: str = Field(default="", max_length=255)


class ArticleOut(ORMModel):
    id: int
    tenant_id: int
    base_id: int | None
    category_id: int | None
    title: str
    body: str
    body_format: str
    keywords: list[str]
    district: str | None
    unit_id: int | None
    reply_template: str
    attachments: list[dict]
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    version: int
    author_id: int | None
    reviewer_id: int | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ArticleDetail(ArticleOut):
    actions: list[str] = []


class ActionIn(BaseModel):
    note: str = Field(default="", max_length=1000)


class VersionOut(ORMModel):
    version: int
    snapshot: dict
    editor_id: int | None
    note: str
    created_at: datetime


class EventOut(ORMModel):
    id: int
    action: str
    from_status: str | None
    to_status: str | None
    actor_id: int | None
    note: str
    at: datetime


class SearchHit(BaseModel):
    article_id: int
    title: str
    title_html: str
    snippet_html: str
    passage: str
    score: float
    cosine: float | None
    bm25: float | None
    category_id: int | None
    unit_id: int | None
    district: str | None
    valid_until: datetime | None
    reply_template: str


class CitationIn(BaseModel):
    article_ids: list[int] = Field(min_length=1, max_length=50)
    ticket_id: int | None = None


class HotItem(BaseModel):
    article_id: int
    title: str
    heat: float
    views: int
    citations: int


class YellowPageOut(BaseModel):
    unit_id: int
    tenant_id: int
    name: str
    short_name: str | None
    kind: str
    district: str | None
    duties: str
    phones: list[str]
    address: str | None
    office_hours: str | None
    keywords: list[str]
    contact_person: str | None
    email: str | None
    website: str | None
    notes: str
    updated_at: datetime | None


class YellowPagePatch(BaseModel):
    duties: str | None = Field(default=None, max_length=5000)
    phones: list[str] | None = None
    address: str | None = Field(default=None, max_length=255)
    office_hours: str | None = Field(default=None, max_length=100)
    keywords: list[str] | None = None
    contact_person: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)


class QuestionIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    detail: str = Field(default="", max_length=5000)
    unit_id: int
    category_id: int | None = None
    ticket_id: int | None = None


class QuestionOut(ORMModel):
    id: int
    tenant_id: int
    asker_id: int
    unit_id: int
    category_id: int | None
    title: str
    detail: str
    ticket_id: int | None
    status: str
    answer: str
    answerer_id: int | None
    answered_at: datetime | None
    article_id: int | None
    created_at: datetime


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=20_000)


class ToArticleIn(BaseModel):
    category_id: int | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)


class ImportReportOut(BaseModel):
    imported: int
    failed: int
    ids: list[int]
    errors: list[dict[str, Any]]


# ---------------------------------------------------------------- categories and bases


@router.get("/categories", summary="知识分类树（扁平列表，按路径排序）", response_model=list[CategoryOut])
def list_categories(db: DB, scope: CurrentScope):
    return service.list_categories(db, scope)


@router.post("/categories", status_code=201, summary="新建分类", response_model=CategoryOut)
def create_category(body: CategoryIn, db: DB, scope: CurrentScope, idempotency_key: IdempotencyKey = None):
    if (done := idempotency.claim(db, scope, idempotency_key, "kb_category", body.model_dump())) is not None:
        return db.get(Category, done)
    cat = service.create_category(db, scope, name=body.name, parent_id=body.parent_id, sort=body.sort)
    idempotency.settle(db, scope, idempotency_key, cat.id)
    db.commit()
    return cat


@router.put(
    "/categories/{category_id}/permissions",
    summary="设置分类分支的读/写/审核授权（空列表恢复默认）",
    response_model=list[GrantOut],
)
def set_permissions(category_id: int, grants: list[Grant], db: DB, scope: CurrentScope):
    rows = service.set_category_permissions(db, scope, category_id, [g.model_dump() for g in grants])
    db.commit()
    return rows


@router.get("/bases", summary="我可见的独立知识库", response_model=list[BaseOut])
def list_bases(db: DB, scope: CurrentScope):
    return service.list_bases(db, scope)


@router.post("/bases", status_code=201, summary="新建独立知识库（单位或个人）", response_model=BaseOut)
def create_base(body: BaseIn, db: DB, scope: CurrentScope, idempotency_key: IdempotencyKey = None):
    if (done := idempotency.claim(db, scope, idempotency_key, "kb_base", body.model_dump())) is not None:
        return service.get_base(db, scope, done)
    base = service.create_base(db, scope, name=body.name, kind=body.kind, shared=body.shared)
    idempotency.settle(db, scope, idempotency_key, base.id)
    db.commit()
    return base


# ---------------------------------------------------------------- articles


@router.get("/articles", summary="知识列表（坐席只见已上架）", response_model=Page[ArticleOut])
def list_articles(
    db: DB,
    scope: CurrentScope,
    paging: Paging,
    q: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
    unit_id: int | None = None,
    district: str | None = None,
    base_id: int | None = None,
    due_review: Annotated[bool, Query(description="只看有效期将满、待复核的已上架知识")] = False,
):
    rows, total = service.list_articles(
        db,
        scope,
        q=q,
        status=status,
        category_id=category_id,
        unit_id=unit_id,
        district=district,
        base_id=base_id,
        due_review=due_review,
        offset=paging.offset,
        limit=paging.size,
    )
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.post("/articles", status_code=201, summary="新建知识（草稿）", response_model=ArticleDetail)
def create_article(body: ArticleIn, db: DB, scope: CurrentScope, idempotency_key: IdempotencyKey = None):
    data = body.model_dump()
    data["attachments"] = [a.model_dump(exclude_none=True) for a in body.attachments]
    if (done := idempotency.claim(db, scope, idempotency_key, "kb_article", data)) is not None:
        return _detail(db, scope, service.get_article(db, scope, done))
    article = service.create_article(db, scope, **data)
    idempotency.settle(db, scope, idempotency_key, article.id)
    db.commit()
    return _detail(db, scope, article)


def _detail(db, scope, article) -> ArticleDetail:
    out = ArticleDetail.model_validate(article)
    out.actions = [
        a
        for a in allowed_actions(article.status)
        if service.article_allows(db, scope, article, _needs(article.status, a))
    ]
    return out


def _needs(status: str, action: str) -> Permission:
    from kb.lifecycle import next_status

    t = next_status(status, action)
    return t.needs if t and t.needs else Permission.review


@router.get("/articles/export", summary="导出知识（xlsx 或 docx）")
def export_articles(
    db: DB,
    scope: CurrentScope,
    format: Literal["xlsx", "docx"] = "xlsx",
    status: str | None = None,
    category_id: int | None = None,
    base_id: int | None = None,
):
    rows, _ = service.list_articles(
        db, scope, status=status, category_id=category_id, base_id=base_id, offset=0, limit=100_000
    )
    data = io.export_articles_xlsx(db, rows) if format == "xlsx" else io.export_articles_docx(db, rows)
    return _file(data, format, "kb-articles")


MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _file(data: bytes, fmt: str, stem: str) -> Response:
    return Response(
        data, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    )


async def _read_upload(file: UploadFile) -> tuple[bytes, str]:
    name = (file.filename or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in ("xlsx", "docx"):
        raise Invalid("只支持 .xlsx 或 .docx 文件", field="file")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid("文件不能超过 20 MB", field="file")
    return data, ext


@router.post(
    "/articles/import",
    summary="批量导入知识（xlsx 或 docx；逐行报告错误，其余导入为草稿）",
    response_model=ImportReportOut,
)
async def import_articles(db: DB, scope: CurrentScope, file: Annotated[UploadFile, File()]):
    data, ext = await _read_upload(file)
    if ext == "xlsx":
        report = io.import_articles_xlsx(db, scope, data)
    else:
        report = io.import_articles_docx(db, scope, data)
    db.commit()
    return report.as_dict()


@router.get("/articles/{article_id}", summary="知识详情（记一次浏览）", response_model=ArticleDetail)
def get_article(article_id: int, db: DB, scope: CurrentScope, view: bool = True):
    article = service.get_article(db, scope, article_id)
    if view and article.status == "published":
        citations.record_view(db, article_id=article_id, scope=scope)
        db.commit()
    return _detail(db, scope, article)


@router.patch("/articles/{article_id}", summary="编辑知识（生成新版本）", response_model=ArticleDetail)
def update_article(article_id: int, body: ArticlePatch, db: DB, scope: CurrentScope, index: Index):
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    note = data.pop("note", "")
    if "attachments" in data and body.attachments is not None:
        data["attachments"] = [a.model_dump(exclude_none=True) for a in body.attachments]
    article = service.update_article(db, scope, article_id, expected_version=version, note=note, **data)
    db.commit()
    if article.status == "published":
        refresh(index, db)
    return _detail(db, scope, article)


@router.post(
    "/articles/{article_id}/files",
    status_code=201,
    summary="上传附件（multipart；生成新版本）",
    response_model=ArticleDetail,
)
async def upload_file(
    article_id: int,
    request: Request,
    db: DB,
    scope: CurrentScope,
    index: Index,
    file: Annotated[UploadFile, File()],
    version: Annotated[int | None, Form(description="编辑所基于的版本号（乐观锁）")] = None,
):
    data = await file.read(files.MAX_FILE_BYTES + 1)
    article = files.add_file(
        db,
        scope,
        article_id,
        data_dir=request.app.state.settings.data_dir,
        filename=file.filename or "",
        content_type=file.content_type,
        data=data,
        expected_version=version,
    )
    db.commit()
    if article.status == "published":
        refresh(index, db)
    return _detail(db, scope, article)


@router.get("/articles/{article_id}/files/{file_id}", summary="下载附件（坐席只能下载已上架知识的附件）")
def download_file(article_id: int, file_id: str, request: Request, db: DB, scope: CurrentScope):
    path, entry = files.open_file(
        db, scope, article_id, file_id, data_dir=request.app.state.settings.data_dir
    )
    return FileResponse(
        path,
        media_type=entry.get("content_type") or "application/octet-stream",
        filename=entry["name"],  # Content-Disposition: attachment, RFC 5987 for Chinese names
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private"},
    )


@router.delete(
    "/articles/{article_id}/files/{file_id}", summary="删除附件（生成新版本）", response_model=ArticleDetail
)
def delete_file(
    article_id: int, file_id: str, db: DB, scope: CurrentScope, index: Index, version: int | None = None
):
    article = files.remove_file(db, scope, article_id, file_id, expected_version=version)
    db.commit()
    if article.status == "published":
        refresh(index, db)
    return _detail(db, scope, article)


@router.post(
    "/articles/{article_id}/{action}",
    summary="流转：submit 提交审核 / approve 审核通过 / reject 退回 / publish 上架 / unpublish 下架 / archive 归档 / revise 重新编辑",
    response_model=ArticleDetail,
)
def act(
    article_id: int,
    action: ArticleAction,
    db: DB,
    scope: CurrentScope,
    index: Index,
    body: ActionIn | None = None,
):
    if action == ArticleAction.expire:
        raise Invalid("到期下架由系统执行", field="action")
    article = service.transition(db, scope, article_id, action, note=body.note if body else "")
    db.commit()
    if action in (ArticleAction.publish, ArticleAction.unpublish, ArticleAction.archive):
        refresh(index, db)
    return _detail(db, scope, article)


@router.get("/articles/{article_id}/versions", summary="版本列表", response_model=list[VersionOut])
def versions(article_id: int, db: DB, scope: CurrentScope):
    return service.list_versions(db, scope, article_id)


@router.get("/articles/{article_id}/diff", summary="两个版本的差异")
def diff(
    article_id: int,
    db: DB,
    scope: CurrentScope,
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
):
    return {
        "article_id": article_id,
        "from": a,
        "to": b,
        "changes": service.diff_versions(db, scope, article_id, a, b),
    }


@router.post(
    "/articles/{article_id}/versions/{version}/restore",
    summary="恢复到某个版本（作为新版本）",
    response_model=ArticleDetail,
)
def restore(article_id: int, version: int, db: DB, scope: CurrentScope, index: Index):
    article = service.restore_version(db, scope, article_id, version)
    db.commit()
    if article.status == "published":
        refresh(index, db)
    return _detail(db, scope, article)


@router.get("/articles/{article_id}/events", summary="流转记录", response_model=list[EventOut])
def events(article_id: int, db: DB, scope: CurrentScope):
    return service.article_events(db, scope, article_id)


# ---------------------------------------------------------------- search, ranking, citations


@router.get(
    "/search", summary="混合检索（BM25 + 向量，倒数排名融合），关键词高亮", response_model=list[SearchHit]
)
def search(
    db: DB,
    scope: CurrentScope,
    index: Index,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    mode: Literal["hybrid", "bm25", "vector"] = "hybrid",
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    category_id: int | None = None,
    district: str | None = None,
    unit_id: int | None = None,
    base_id: int | None = None,
):
    refresh(index, db)
    results = retrieval.search(
        db,
        scope,
        index,
        q,
        k=k,
        mode=mode,
        category_id=category_id,
        district=district,
        unit_id=unit_id,
        base_id=base_id,
    )
    return [r.as_dict() for r in results]


@router.get("/hot", summary="热度排行（浏览与引用，按时间衰减）", response_model=list[HotItem])
def hot(
    db: DB,
    scope: CurrentScope,
    period: Literal["day", "week", "month", "year"] = "week",
    category_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
):
    from kb.permissions import readable_tenant_ids

    return citations.hot_ranking(
        db, tenant_ids=readable_tenant_ids(db, scope), period=period, category_id=category_id, limit=limit
    )


@router.post("/citations", status_code=201, summary="工单答复引用知识")
def cite(body: CitationIn, db: DB, scope: CurrentScope):
    hits = citations.record(db, article_ids=body.article_ids, ticket_id=body.ticket_id, scope=scope)
    db.commit()
    return {"recorded": len(hits)}


# ---------------------------------------------------------------- yellow pages


@router.get("/yellow-pages", summary="部门黄页检索", response_model=Page[YellowPageOut])
def yp_search(
    db: DB,
    scope: CurrentScope,
    paging: Paging,
    q: str | None = None,
    district: str | None = None,
    kind: str | None = None,
):
    rows, total = yellow_pages.search(
        db, scope, q=q, district=district, kind=kind, offset=paging.offset, limit=paging.size
    )
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.get("/yellow-pages/export", summary="导出部门黄页（xlsx 或 docx）")
def yp_export(db: DB, scope: CurrentScope, format: Literal["xlsx", "docx"] = "xlsx", q: str | None = None):
    rows, _ = yellow_pages.search(db, scope, q=q, offset=0, limit=100_000)
    data = io.export_yellow_pages_xlsx(rows) if format == "xlsx" else io.export_yellow_pages_docx(rows)
    return _file(data, format, "yellow-pages")


@router.post(
    "/yellow-pages/import", summary="导入部门黄页（xlsx，按单位名称更新）", response_model=ImportReportOut
)
async def yp_import(db: DB, scope: CurrentScope, file: Annotated[UploadFile, File()]):
    data, ext = await _read_upload(file)
    if ext != "xlsx":
        raise Invalid("黄页导入只支持 .xlsx", field="file")
    report = io.import_yellow_pages_xlsx(db, scope, data)
    db.commit()
    return report.as_dict()


@router.get("/yellow-pages/{unit_id}", summary="单位黄页", response_model=YellowPageOut)
def yp_get(unit_id: int, db: DB, scope: CurrentScope):
    return yellow_pages.get(db, scope, unit_id)


@router.patch("/yellow-pages/{unit_id}", summary="修改本单位黄页", response_model=YellowPageOut)
def yp_update(unit_id: int, body: YellowPagePatch, db: DB, scope: CurrentScope):
    out = yellow_pages.update(db, scope, unit_id, **body.model_dump(exclude_unset=True))
    db.commit()
    return out


# ---------------------------------------------------------------- knowledge questions


@router.get("/questions", summary="知识提问列表", response_model=Page[QuestionOut])
def q_list(db: DB, scope: CurrentScope, paging: Paging, status: str | None = None):
    rows, total = questions.list_questions(db, scope, status=status, offset=paging.offset, limit=paging.size)
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.post("/questions", status_code=201, summary="提出知识提问", response_model=QuestionOut)
def q_ask(
    body: QuestionIn, db: DB, request: Request, scope: CurrentScope, idempotency_key: IdempotencyKey = None
):
    if (done := idempotency.claim(db, scope, idempotency_key, "kb_question", body.model_dump())) is not None:
        return questions.get(db, scope, done)
    q = questions.ask(db, scope, **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, q.id)
    db.commit()
    notices.publish(request.app.state.settings, [notices.question_message(q)])
    return q


@router.get("/questions/{question_id}", summary="提问详情", response_model=QuestionOut)
def q_get(question_id: int, db: DB, scope: CurrentScope):
    return questions.get(db, scope, question_id)


@router.post("/questions/{question_id}/answer", summary="答复提问", response_model=QuestionOut)
def q_answer(question_id: int, body: AnswerIn, db: DB, scope: CurrentScope):
    q = questions.answer(db, scope, question_id, answer=body.answer)
    db.commit()
    return q


@router.post("/questions/{question_id}/close", summary="关闭提问", response_model=QuestionOut)
def q_close(question_id: int, db: DB, scope: CurrentScope):
    q = questions.close(db, scope, question_id)
    db.commit()
    return q


@router.post(
    "/questions/{question_id}/to-article",
    status_code=201,
    summary="答复一键转为知识（草稿）",
    response_model=ArticleDetail,
)
def q_to_article(question_id: int, db: DB, scope: CurrentScope, body: ToArticleIn | None = None):
    body = body or ToArticleIn()
    article = questions.to_article(db, scope, question_id, category_id=body.category_id, title=body.title)
    db.commit()
    return _detail(db, scope, article)
