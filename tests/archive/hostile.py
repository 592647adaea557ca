"""A hostile PDF for the verification page: small on the wire, huge once its object streams are inflated.

The catalog, the AcroForm and its field list each live in their own compressed object stream (found through a
cross-reference stream), each stream padded after its object with `inflated_mb` of filler. Reading the
signatures means reading those three objects, so a reader inflates every stream whole. The filler (spaces with
a printable byte every 350 or so) compresses about 90:1: under pyHanko's own limit for object streams (100:1
above 4 MiB, 64 MiB each), as in the reported attack, so without the app's limits it is inflated in full.
"""
from __future__ import annotations

import random
import struct
import zlib
from functools import cache

MiB = 1024 * 1024
STEP = 350


@cache
def _filler_block() -> bytes:
    """1 MiB of filler; repeated, it compresses as well as alone (Deflate's window is 32 KiB)."""
    chooser = random.Random(4)
    block = bytearray(b" " * MiB)
    for start in range(0, MiB - STEP, STEP):
        block[start + chooser.randrange(STEP - 1)] = chooser.randrange(33, 127)
    return bytes(block)


@cache
def _object_stream(number: int, body: bytes, inflated_mb: int) -> bytes:
    header = f"{number} 0 ".encode()
    compressor = zlib.compressobj(1)
    parts = [compressor.compress(header + body + b" ")]
    parts += [compressor.compress(_filler_block()) for _ in range(inflated_mb)]
    parts.append(compressor.flush())
    data = b"".join(parts)
    return (f"<< /Type /ObjStm /N 1 /First {len(header)} /Filter /FlateDecode /Length {len(data)} >>\nstream\n"
            .encode() + data + b"\nendstream")


def hostile_pdf(streams: int = 3, inflated_mb: int = 60) -> bytes:
    """`streams` (3 or more) object streams of `inflated_mb` each: the catalog, the AcroForm and its /Fields
    array in the first three, one form field in each of the others. Listing the signature fields reads every
    field, so every stream is inflated. The cross-reference stream is the last object."""
    fields = max(0, streams - 3)
    first_field = 10
    inner = {
        1: b"<< /Type /Catalog /Pages 9 0 R /AcroForm 2 0 R >>",
        2: b"<< /Fields 3 0 R >>",
        3: b"[" + b" ".join(f"{first_field + n} 0 R".encode() for n in range(fields)) + b"]",
    }
    for n in range(fields):
        inner[first_field + n] = f"<< /FT /Tx /T (field{n}) >>".encode()
    objects: dict[int, bytes] = {9: b"<< /Type /Pages /Kids [] /Count 0 >>"}
    containers: dict[int, int] = {}
    next_number = first_field + fields
    for number, body in inner.items():
        objects[next_number] = _object_stream(number, body, inflated_mb)
        containers[number] = next_number
        next_number += 1
    xref_number = next_number
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    offsets[xref_number] = len(out)
    size = xref_number + 1
    rows = bytearray()
    for number in range(size):
        if number in containers:
            rows += struct.pack(">BIH", 2, containers[number], 0)
        elif number in offsets:
            rows += struct.pack(">BIH", 1, offsets[number], 0)
        else:
            rows += struct.pack(">BIH", 0, 0, 65535)
    out += (f"{xref_number} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Root 1 0 R /Length {len(rows)} >>\n"
            "stream\n").encode() + rows + b"\nendstream\nendobj\n"
    out += f"startxref\n{offsets[xref_number]}\n%%EOF\n".encode()
    return bytes(out)
