"""Importing an existing koperasi and exporting it (pengurus and admin only: the files hold every
member's NIK in full): the template, the upload and its preview, the confirmation, the progress."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, MultipleFileField
from wtforms.validators import InputRequired

from models import import_batch as domain
from models import import_sheets as sheets
from models import jobs, koperasi_export
from models import koperasi_import as reader
from models.zones import zone_of
from views.fields import Form, KeyedForm, page_of
from views.forms import dispatch, failed, run
from web.access import office
from web.render import htmx_target, render, see_other
from web.spreadsheet import XLSX

bp = Blueprint("imports", __name__, url_prefix="/k/<slug>/office")
PER_PAGE = 50
DUTY = "import_members"


class UploadForm(Form):
    files = MultipleFileField(_l("The filled template (.xlsx), or its CSV files"),
                              description=_l("One .xlsx file, or the members CSV (and the loans CSV if any) together."),
                              render_kw={"accept": ".xlsx,.csv,text/csv"})
    cutover = DateField(_l("Cut-over date"), [InputRequired(_l("This field is required."))],
                        description=_l("The day the balances in the file are as of (e.g. the last day of a month)."))


class ConfirmForm(KeyedForm):
    """The batch's own status is the once-only guard (a running import is returned, a done one refused)."""


class ExportForm(Form):
    """A POST, so each export of every NIK is recorded in the koperasi's history (like a reveal)."""


def media_folder() -> str:
    return current_app.config["MEDIA_DIR"] + "/imports"


@bp.route("/import", methods=["GET", "POST"])
def index(slug):
    """The template, the upload form and the imports made so far."""
    here = office(slug, DUTY)
    if request.method == "POST":
        return upload(here)
    if request.args.get("format") in ("xlsx", "csv"):
        return _download(here, filled=False, fmt=request.args.get("format"), sheet=request.args.get("sheet"))
    return _index(here, UploadForm(formdata=None, data={"cutover": _default_cutover(here.koperasi)}))


def upload(here):
    """Read and check the upload: a batch waiting for confirmation (nothing imported)."""
    form = UploadForm()
    done = run(form, lambda: domain.preview(here.koperasi, sheets.uploaded(form.files.data), form.cutover.data,
                                            current_user, media_folder()))
    if done:
        batch, _result = done.value
        return see_other(url_for("imports.batch", slug=here.koperasi.slug, batch_id=batch.id))
    return _index(here, form)


def _index(here, form):
    return render("imports/index.html", here=here, koperasi=here.koperasi, form=form, export_form=ExportForm(),
                  batches=domain.batches(here.koperasi), status=422 if failed(form) else 200)


def _default_cutover(koperasi):
    """The last day of last month: balances are usually taken at a month's end."""
    return zone_of(koperasi).today().replace(day=1) - timedelta(days=1)


@bp.route("/import/<int:batch_id>", methods=["GET", "POST"])
def batch(slug, batch_id):
    """A batch: its problems and totals (the dry run), the confirmation, the import's progress."""
    if request.method == "POST":
        return dispatch(confirm=confirm)
    here = office(slug, DUTY)
    return _batch_page(here, _batch_or_404(here, batch_id))


def confirm(slug, batch_id):
    """Import the checked batch, in the background."""
    here = office(slug, DUTY)
    found = _batch_or_404(here, batch_id)
    form = ConfirmForm()
    done = run(form, lambda: domain.confirm(found, current_user))
    if done:
        jobs.enqueue("models.import_batch.import_job", done.value.id, media_folder())  # committed: a worker may take it
        return see_other(url_for("imports.batch", slug=slug, batch_id=batch_id) + "#progress")
    return _batch_page(here, found, form)


def _batch_or_404(here, batch_id: int):
    found = domain.batch_of(here.koperasi, batch_id)
    if found is None:
        abort(404)
    return found


def _batch_page(here, found, form=None):
    problems, refused = [], None
    if found.status in (domain.PREVIEWED, domain.FAILED) and htmx_target() != "progress":
        try:
            problems = reader.check(here.koperasi, sheets.read(domain.load(found, media_folder())),
                                    found.cutover).problems
        except Exception as error:  # the file went missing, or the rules refuse it now: said on the page
            refused = getattr(error, "message", None) or _("The uploaded file could not be read again.")
    page, pages = page_of(len(problems), PER_PAGE)
    if form is None and found.status in (domain.PREVIEWED, domain.FAILED) and not found.problems and found.members:
        form = ConfirmForm(formdata=None)
    return render("imports/batch.html", here=here, koperasi=here.koperasi, batch=found, job=domain.job_of(found),
                  problems=problems[(page - 1) * PER_PAGE:][:PER_PAGE], problem_count=len(problems), page=page,
                  pages=pages, refused=refused, totals=found.totals_dict(), form=form,
                  status=422 if form is not None and failed(form) else 200)


@bp.post("/export")
def export(slug):
    """The template filled with the koperasi's current members, savings and loans (every NIK in full)."""
    here = office(slug, DUTY)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    fmt, sheet = request.form.get("format"), request.form.get("sheet")
    response = _download(here, filled=True, fmt=fmt, sheet=sheet)
    koperasi_export.record_export(here.koperasi, current_user, fmt, sheet)
    return response


def _download(here, filled: bool, fmt: str | None = None, sheet: str | None = None):
    koperasi = here.koperasi
    today = zone_of(koperasi).today()
    members, loans = koperasi_export.rows_for(koperasi, filled, today)
    stem = f"{'ekspor' if filled else 'template-impor'}-{koperasi.slug}"
    if fmt == "csv":
        sheet = sheets.LOANS if sheet == "loans" else sheets.MEMBERS
        text = koperasi_export.csv_text(sheet, loans if sheet is sheets.LOANS else members)
        response = make_response(text)
        response.mimetype = "text/csv"
        name = f"{stem}-{'pinjaman' if sheet is sheets.LOANS else 'anggota'}.csv"
    else:
        response = make_response(koperasi_export.workbook(members, loans))
        response.mimetype = XLSX
        name = f"{stem}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
