"""SHU on a 360 px phone, with and without JavaScript: the pengurus opens last year's SHU from
the office, sets the split from the bylaws, reads the preview, records the RAT's approval,
posts and sees the posting done; a member then finds their share, with its breakdown, on
their card page. The figures are tests/test_shu.py's hand-checked example.

With JavaScript the posting runs as in production: a real worker (``flask --app wsgi worker``
on Redis) takes the job and the page's progress, polled every 2 s, turns into "posted".
Without it, the posting runs inline (no ``REDIS_URL``), as the embedded default does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models.shu import JU_LABELS, PART_LABELS
from tests.browser.steps import arrive, button, finish, open_office, rp, section, t, told
from tests.rq_worker import worker_fixture  # noqa: F401  (the fixture named worker)
from tests.shu_setup import shu_year


@pytest.fixture
def year(make_koperasi, make_member, make_user, make_store, db):
    return shu_year(make_koperasi, make_member, make_user, make_store)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_pengurus_divides_last_years_shu_and_a_member_sees_it(actor, year, javascript, worker, app, monkeypatch):
    if not javascript:
        monkeypatch.setitem(app.config, "REDIS_URL", None)  # inline: the embedded default, no worker
    k = year["k"]
    office = actor(year["pengurus"], js=javascript)
    open_office(office, k, "SHU", "SHU (Sisa Hasil Usaha)")
    office.get_by_role("link", name=t("Book year %(year)s", year=year["year"])).tap()
    arrive(office, t("SHU of the book year %(year)s", year=year["year"]))
    expect(office.locator("#shu-amount")).to_contain_text(rp(10_000_003))

    form = office.locator("#plan-form")
    for part, typed in (("ju", "25"), ("education", "2,5"), ("social", "2,5")):
        form.get_by_label(str(PART_LABELS[part]), exact=True).fill(typed)
    form.get_by_label(t("Simpanan pokok"), exact=True).uncheck()
    form.get_by_label(t("Simpanan sukarela"), exact=True).check()
    expect(form.get_by_label(str(JU_LABELS["interest"]), exact=True)).to_be_checked()
    button(form, "Save the split").tap()
    told(office, t("The split is saved. Check the preview below."))
    arrive(office, t("SHU of the book year %(year)s", year=year["year"]))
    expect(office.locator("#shu-parts")).to_contain_text(rp(4_000_006))  # the reserve, with every remainder
    members = office.locator("#shu-members")
    expect(members.get_by_role("listitem").filter(has_text="Ani Rahayu")).to_contain_text(rp(1_517_856))
    expect(members.get_by_role("listitem").filter(has_text="Dedi Kurnia")).to_contain_text(rp(1_000_001))

    approval = section(office, t("The RAT's approval"))
    approval.get_by_label(t("The RAT that approved the split")).select_option(label=year["meeting"].title + " · "
                                                                             + f"{year['meeting'].starts_at:%Y-%m-%d}")
    button(approval, "Record the approval").tap()
    told(office, t("The RAT's approval is recorded. The shares are now fixed."))
    arrive(office, t("SHU of the book year %(year)s", year=year["year"]))
    button(office, "Post the SHU").tap()
    arrive(office, t("SHU of the book year %(year)s", year=year["year"]))
    expect(office.locator("#posting-done")).to_contain_text(t("Posted: %(done)s of %(total)s members, the reserve "
                                                              "and the funds.", done=4, total=4), timeout=30_000)

    ani = actor(year["ani"].user, js=javascript)
    ani.goto(f"/k/{k.slug}/me")
    arrive(ani, k.name)
    mine = ani.locator(f"#shu-{year['year']}")
    expect(mine).to_contain_text(rp(1_517_856))
    expect(mine).to_contain_text(rp(1_142_857))  # jasa modal
    expect(mine).to_contain_text(rp(374_999))  # jasa usaha
    expect(mine).to_contain_text(t("Credited to my simpanan sukarela"))
    finish(office, ani)
