"""Article attachments as uploaded files (附件): stored under `data_dir/kb/files/` by a random id (the
citizen-facing name is only metadata, so no upload chooses a path), listed in `Article.attachments`
next to link attachments, and changed through `service.update_article` so every change is a version.
A file whose upload's transaction rolls back is deleted again.

Entry of an uploaded file: {"name", "url", "file_id", "size", "content_type", "sha256"}.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kb import service
from kb.enums import Permission
from models.errors import Invalid, NotFound
from models.kb import ArticleVersion
from models.scope import Scope

MAX_FILE_BYTES = 20 * 1024 * 1024
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
_ZIP = (b"PK\x03\x04",)
# extension → (content type served, leading bytes the file must start with; None: text, checked as UTF-8)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".txt": ("text/plain; charset=utf-8", None),
    ".csv": ("text/csv; charset=utf-8", None),
}
_FILE_ID = re.compile(r"^[0-9a-f]{32}$")


def safe_name(filename: str) -> str:
    """The last path component, without control characters or characters that break headers/paths."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    name = name.strip().lstrip(".").strip()
    if len(name) > 120:
        stem, ext = os.path.splitext(name)
        name = stem[: 120 - len(ext)] + ext
    if not name:
        raise Invalid("文件名无效", field="file")
    return name


def _check(name: str, content_type: str | None, data: bytes) -> str:
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise Invalid(
            f"不支持的附件类型 {ext or '（无扩展名）'}，只允许 {'、'.join(sorted(ALLOWED))}", field="file"
        )
    if not data:
        raise Invalid("附件不能为空文件", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"附件不能超过 {MAX_FILE_BYTES // (1024 * 1024)} MB", field="file")
    served, magic = ALLOWED[ext]
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ("", "application/octet-stream", served.split(";")[0]):
        raise Invalid(f"文件类型 {declared} 与扩展名 {ext} 不符", field="file")
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid("文本附件须为 UTF-8 编码", field="file") from exc
    elif not data.startswith(magic):
        raise Invalid(f"文件内容不是有效的 {ext} 文件", field="file")
    return served


def _path(data_dir: Path, file_id: str) -> Path:
    return Path(data_dir) / "kb" / "files" / file_id[:2] / file_id


_PENDING = "kb.files.pending"  # Session.info key: files written in the open transaction


def _delete_on_rollback(db: Session, path: Path) -> None:
    """The file is written before the row that names it commits (so a committed row never lacks its
    file); if that transaction rolls back instead, the file goes too rather than stay an orphan."""
    db.info.setdefault(_PENDING, []).append(path)
    if not event.contains(db, "after_rollback", _discard_pending):
        event.listen(db, "after_commit", _keep_pending)
        event.listen(db, "after_rollback", _discard_pending)


def _keep_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def _discard_pending(db: Session) -> None:
    for path in db.info.pop(_PENDING, []):
        path.unlink(missing_ok=True)


def add_file(
    db: Session,
    scope: Scope,
    article_id: int,
    *,
    data_dir: Path,
    filename: str,
    content_type: str | None,
    data: bytes,
    expected_version: int | None = None,
) -> Any:
    """Store the file and add it to the article's attachments (a new version)."""
    article = service.get_article(db, scope, article_id, Permission.write)
    name = safe_name(filename)
    served = _check(name, content_type, data)
    file_id = uuid.uuid4().hex
    path = _path(data_dir, file_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    _delete_on_rollback(db, path)
    entry = {
        "name": name,
        "url": f"/api/kb/articles/{article.id}/files/{file_id}",
        "file_id": file_id,
        "size": len(data),
        "content_type": served,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return service.update_article(
        db,
        scope,
        article.id,
        expected_version=expected_version,
        note=f"添加附件：{name}",
        attachments=[*(article.attachments or []), entry],
    )


def remove_file(
    db: Session, scope: Scope, article_id: int, file_id: str, *, expected_version: int | None = None
) -> Any:
    """Drop the file from the attachments (a new version; the stored file stays for older versions)."""
    article = service.get_article(db, scope, article_id, Permission.write)
    atts = list(article.attachments or [])
    kept = [a for a in atts if a.get("file_id") != file_id]
    if len(kept) == len(atts):
        raise NotFound("附件不存在")
    gone = next(a for a in atts if a.get("file_id") == file_id)
    return service.update_article(
        db,
        scope,
        article.id,
        expected_version=expected_version,
        note=f"删除附件：{gone['name']}",
        attachments=kept,
    )


def open_file(
    db: Session, scope: Scope, article_id: int, file_id: str, *, data_dir: Path
) -> tuple[Path, dict]:
    """The stored file of an attachment the user may read: one on the article as it is now (agents: only
    published articles), or, for its editors, on one of its versions."""
    article = service.get_article(db, scope, article_id)  # read: published-only for agents
    if not _FILE_ID.match(file_id or ""):
        raise NotFound("附件不存在")
    entry = next((a for a in article.attachments or [] if a.get("file_id") == file_id), None)
    if entry is None and service.article_allows(db, scope, article, Permission.write):
        for snap in db.scalars(
            select(ArticleVersion.snapshot).where(ArticleVersion.article_id == article.id)
        ):
            entry = next((a for a in snap.get("attachments") or [] if a.get("file_id") == file_id), None)
            if entry is not None:
                break
    path = _path(data_dir, file_id)
    if entry is None or not path.is_file():
        raise NotFound("附件不存在")
    return path, entry
