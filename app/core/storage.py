"""Content-addressed, write-once storage of signed PDFs.

Every object is stored under its sha256 and is never overwritten or deleted by the application (retention
is an operator's decision, outside it). `put` of bytes already stored is a no-op; bytes that do not match
an existing key are refused. Two backends share one interface:

- LocalStorage: files under ARCHIVE_DIR, created with O_EXCL and published with a hard link (which also
  refuses to replace an existing file), then made read-only.
- S3Storage: an S3-compatible bucket (boto3), written with If-None-Match: * so an existing object is never
  replaced; enable Object Lock on the bucket for retention the application cannot bypass.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    pass


class NotFound(StorageError):
    pass


class Storage(Protocol):
    name: str

    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def iter_chunks(self, key: str) -> Iterator[bytes]: ...

    def exists(self, key: str) -> bool: ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_key(key: str) -> str:
    digest = key.rsplit("/", 1)[-1].removesuffix(".pdf")
    if not _SHA256.match(digest):
        raise StorageError(f"not an archive key: {key!r}")
    return digest


class LocalStorage:
    name = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def key_for(self, digest: str) -> str:
        return f"{digest[:2]}/{digest}.pdf"

    def path(self, key: str) -> Path:
        digest = _check_key(key)
        return self.root / digest[:2] / f"{digest}.pdf"

    def put(self, data: bytes) -> str:
        digest = sha256_of(data)
        key = self.key_for(digest)
        final = self.path(key)
        if final.exists():
            return self._same(final, digest, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Write under a unique temporary name (O_EXCL), then publish with link(), which fails if the target
        # exists: a reader never sees a partial file and nothing is ever replaced.
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, final)
            except FileExistsError:
                return self._same(final, digest, key)
        finally:
            os.unlink(tmp)
        return key

    def _same(self, path: Path, digest: str, key: str) -> str:
        if sha256_of(path.read_bytes()) != digest:
            raise StorageError(f"{key} exists with different content; refusing to overwrite it")
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(key) from None

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(key) from None
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def exists(self, key: str) -> bool:
        return self.path(key).exists()


class S3Storage:
    name = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    def key_for(self, digest: str) -> str:
        return f"{self.prefix}{digest[:2]}/{digest}.pdf"

    def put(self, data: bytes) -> str:
        from botocore.exceptions import ClientError

        digest = sha256_of(data)
        key = self.key_for(digest)
        if self.exists(key):
            return self._same(key, digest)
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType="application/pdf",
                IfNoneMatch="*", Metadata={"sha256": digest},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                return self._same(key, digest)
            raise StorageError(f"could not store {key}: {code}") from error
        return key

    def _same(self, key: str, digest: str) -> str:
        if sha256_of(self.get(key)) != digest:
            raise StorageError(f"{key} exists with different content; refusing to overwrite it")
        return key

    def get(self, key: str) -> bytes:
        return b"".join(self.iter_chunks(key))

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        _check_key(key)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(key) from None
            raise
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        _check_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise


def get_storage() -> Storage:
    """The configured backend, one instance per app (boto3 clients are reusable and thread-safe)."""
    storage = current_app.extensions.get("crucible_archive_storage")
    if storage is None:
        config = current_app.config
        backend = config.get("ARCHIVE_BACKEND", "local")
        if backend == "local":
            storage = LocalStorage(config["ARCHIVE_DIR"])
        elif backend == "s3":
            if not config.get("S3_BUCKET"):
                raise StorageError("ARCHIVE_BACKEND=s3 needs S3_BUCKET")
            storage = S3Storage(
                config["S3_BUCKET"], prefix=config.get("S3_PREFIX") or "",
                endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION"),
                access_key_id=config.get("S3_ACCESS_KEY_ID"), secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            )
        else:
            raise StorageError(f"unknown ARCHIVE_BACKEND {backend!r} (use 'local' or 's3')")
        current_app.extensions["crucible_archive_storage"] = storage
    return storage
