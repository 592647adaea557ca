"""PAdES B-B signatures with pyHanko, and the development certificate authority.

The signer (certificate, key, chain) is loaded once per process and reused: loading an encrypted key is
a third of the signing time. Configuration: SIGNING_CERT, SIGNING_KEY (PEM files), SIGNING_KEY_PASSPHRASE
(from the environment), SIGNING_CHAIN (issuer certificates sent with the signature).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID
from flask import current_app

SIGNATURE_FIELD = "CrucibleAssessmentSignature"
_lock = threading.Lock()
_signers: dict[tuple, object] = {}


class SigningError(RuntimeError):
    pass


def _paths(value: str | None) -> list[Path]:
    return [Path(p) for p in (value or "").split(os.pathsep) if p.strip()]


def _signer_key() -> tuple:
    config = current_app.config
    cert, key = Path(config["SIGNING_CERT"]), Path(config["SIGNING_KEY"])
    chain = tuple(p for p in _paths(config.get("SIGNING_CHAIN")) if p.exists())
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else None for p in (cert, key, *chain))
    return (str(cert), str(key), tuple(map(str, chain)), stamp)


def get_signer():
    """The configured pyHanko signer, loaded once per process (reloaded if the files change)."""
    from pyhanko.sign import signers

    key = _signer_key()
    with _lock:
        signer = _signers.get(key)
        if signer is None:
            cert_path, key_path, chain, _ = key
            if not Path(cert_path).exists() or not Path(key_path).exists():
                raise SigningError(
                    f"signing certificate or key not found ({cert_path}, {key_path}); "
                    "set SIGNING_CERT and SIGNING_KEY, or run `flask --app wsgi dev-certs` in development"
                )
            passphrase = current_app.config.get("SIGNING_KEY_PASSPHRASE")
            signer = signers.SimpleSigner.load(
                key_path, cert_path, ca_chain_files=chain or None,
                key_passphrase=passphrase.encode() if passphrase else None,
            )
            if signer is None:
                raise SigningError("the signing key or certificate could not be loaded (wrong passphrase?)")
            _signers.clear()
            _signers[key] = signer
        return signer


def signer_subject() -> str:
    return get_signer().signing_cert.subject.human_friendly


def sign_pdf(pdf: bytes, *, reason: str, location: str | None = None) -> bytes:
    """PAdES B-B signature as an incremental update: the unsigned PDF stays a byte prefix of the result."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = get_signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason[:200],
        location=location,
        name=current_app.config.get("SIGNING_ORGANISATION"),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer,
        new_field_spec=fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=0, box=None),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


# ------------------------------------------------------------------ development certificates


@dataclass
class DevCertificates:
    root_cert: Path
    root_key: Path
    signing_cert: Path
    signing_key: Path
    created: list[Path]


def ensure_dev_certificates(directory: Path, *, passphrase: str | None = None,
                            organisation: str = "Crucible development") -> DevCertificates:
    """A development root CA and a signing certificate issued by it, written only where files are missing.

    A validator (pyHanko, or poppler's pdfsig with the root in an NSS database) can then trust the root;
    a self-signed signing certificate would never be reported as trusted.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = DevCertificates(directory / "root-ca.pem", directory / "root-ca-key.pem",
                            directory / "signing-cert.pem", directory / "signing-key.pem", [])
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    if paths.root_cert.exists() and paths.root_key.exists():
        root_cert, root_key = _load_root(paths)
    elif paths.signing_cert.exists():
        # A signing certificate from elsewhere: leave it alone.
        return paths
    else:
        root_cert, root_key = _new_root(organisation, now)
        _write_new(paths, paths.root_key, _key_pem(root_key, None), 0o600)
        _write_new(paths, paths.root_cert, root_cert.public_bytes(serialization.Encoding.PEM), 0o644)

    if not paths.signing_cert.exists() or not paths.signing_key.exists():
        for stale in (paths.signing_cert, paths.signing_key):
            if stale.exists():
                raise SigningError(f"{stale} exists without its pair; remove it or provide both")
        cert, key = _new_signing_certificate(root_cert, root_key, organisation, now)
        _write_new(paths, paths.signing_key, _key_pem(key, passphrase), 0o600)
        _write_new(paths, paths.signing_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths


def _write_new(paths: DevCertificates, path: Path, data: bytes, mode: int) -> None:
    """Write a file that must not exist yet (a key is never overwritten), with its permissions from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    paths.created.append(path)


def _key_pem(key: rsa.RSAPrivateKey, secret: str | None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(secret.encode()) if secret
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _load_root(paths: DevCertificates) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    root_cert = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())
    loaded = serialization.load_pem_private_key(paths.root_key.read_bytes(), password=None)
    if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
                               ed448.Ed448PrivateKey, dsa.DSAPrivateKey)):
        raise SigningError(f"{paths.root_key} holds a key that cannot sign certificates")
    return root_cert, loaded


def _new_root(organisation: str, now: dt.datetime) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A root CA valid for ten years, which may sign certificates but not documents."""
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, "Crucible Development Root CA"),
    ])
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return root_cert, root_key


def _new_signing_certificate(root_cert: x509.Certificate, root_key: CertificateIssuerPrivateKeyTypes,
                             organisation: str, now: dt.datetime) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A document-signing certificate (digital signature and non-repudiation) issued by the root."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Research Ethics Committee"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Crucible Development Signing Certificate"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(root_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return cert, key
