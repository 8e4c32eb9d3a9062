"""The default storage: the file system under ``MEDIA_ROOT`` (``var/media``), with no public URL.

Stored files are private: a photo of a customer's kitchen or a signature is served only through the
short-lived signed links of ``core.files.links`` (``/files/<token>/``, checked per viewer). This storage
refuses to make a URL, so no template or API can hand out ``/media/...`` by mistake (decision 0922).
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise ValueError("Stored files have no public URL; use core.files.links.")
