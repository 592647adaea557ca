"""Reports for the research office: institution-wide footprint of submitted and approved work."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, stream_with_context, url_for

from app.core.charts import chart
from app.core.permissions import allowed
from app.questionnaires import footprint
from app.reports.permissions import can_read_reports
from app.reports.services import footprint_csv, footprint_report
from app.reports.tally import APPROVED_STATES, REPORTED_STATES
from app.submissions.workflow import STATE_LABELS

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


@bp.route("/")
@allowed(can_read_reports)
def index():
    return redirect(url_for(".footprint_page"))


@bp.route("/footprint")
@allowed(can_read_reports)
def footprint_page():
    report = footprint_report(max(1, request.args.get("page", 1, type=int) or 1))
    over_time = chart(
        [(quarter, totals.co2e_kg, footprint.format_carbon(totals.co2e_kg))
         for quarter, totals in report.by_quarter.items()],
        "Carbon footprint of submitted work by quarter",
    )
    return render_template(
        "reports/footprint.html", report=report, over_time=over_time, fmt_energy=footprint.format_energy,
        fmt_carbon=footprint.format_carbon, reported_states=[STATE_LABELS[s] for s in REPORTED_STATES],
        approved_states=[label for s, label in STATE_LABELS.items() if s in APPROVED_STATES],
        attribution=footprint.current_data().attribution,
        pager={"link": lambda page: url_for(".footprint_page", page=page)},
        page_title="Environmental footprint of research",
    )


@bp.route("/footprint.csv")
@allowed(can_read_reports)
def footprint_csv_download():
    return Response(stream_with_context(footprint_csv()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="crucible-footprint.csv"'})
