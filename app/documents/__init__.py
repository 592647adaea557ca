"""Signed PDF/A assessments: context (plain dicts), rendering (WeasyPrint), signing (pyHanko), render jobs.

The decision code calls `services.request_assessment(...)`; everything else here serves that call.
"""
