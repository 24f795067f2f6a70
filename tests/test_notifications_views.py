"""The notification list, the header's bell, reading, and the due reminders command."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from models import loans
from models.notifications import Kind, Notification, notify
from tests.budget import measure
from tests.conftest import board, fund, login
from tests.test_notifications import PRODUCT


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def bell(html: str) -> str:
    return re.search(r'<a id="note-link"[^>]*aria-label="([^"]*)"', html).group(1)


def test_the_list_is_one_across_koperasi_newest_first_with_the_bell(app, db, make_koperasi, make_member, make_user):
    person = make_user(full_name="Siti Aminah")
    first = make_koperasi(name="Koperasi Maju Jaya", pokok_idr=0)
    second = make_koperasi(name="Koperasi Sinar Pagi", member_prefix="KSP", pokok_idr=0)
    make_member(first, user=person)
    make_member(second, user=person)
    notify(make_user().id, Kind.MINUTES_PUBLISHED, params={"title": "Bukan untuk Siti"})
    client = login(app.test_client(), person)
    page = client.get("/notifications")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    shown = text_of(page.text)
    assert shown.count("Pengajuan disetujui") == 2 and "Koperasi Maju Jaya" in shown and "Koperasi Sinar Pagi" in shown
    assert shown.index("Koperasi Sinar Pagi") < shown.index("Koperasi Maju Jaya")  # newest first
    assert "Bukan untuk Siti" not in shown
    assert page.text.count('class="unread"') == 2
    assert bell(page.text) == "2 notifikasi belum dibaca"
    assert 'href="/notifications/settings"' in page.text
    client.post("/language", data={"lang": "en", "next": "/"})
    assert bell(client.get("/account").text) == "2 unread notifications"


def test_opening_one_marks_it_read_and_leads_to_its_page(app, db, make_koperasi, make_member, make_user):
    person = make_user()
    k = make_koperasi(pokok_idr=0)
    make_member(k, user=person)
    (note,) = db.session.scalars(sa.select(Notification).where(Notification.user_id == person.id))
    client = login(app.test_client(), person)
    assert bell(client.get("/").text) == "1 notifikasi belum dibaca"
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 303 and opened.location == f"/k/{k.slug}/me"
    db.session.refresh(note)
    first_read = note.read_at
    assert first_read is not None
    assert client.post(f"/notifications/{note.id}/open").location == f"/k/{k.slug}/me"  # again: same place
    db.session.refresh(note)
    assert note.read_at == first_read
    assert bell(client.get("/").text) == "Notifikasi"
    assert 'class="note-count"' not in client.get("/").text


def test_someone_elses_notification_is_not_there(app, db, make_user):
    owner, other = make_user(), make_user(full_name="Orang Lain")
    note = notify(owner.id, Kind.MINUTES_PUBLISHED, params={"title": "RAT 2025"}, url="/cards")
    db.session.commit()
    client = login(app.test_client(), other)
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    client.post("/notifications/read")
    db.session.refresh(note)
    assert note.read_at is None
    assert "RAT 2025" not in client.get("/notifications").text


def test_mark_all_as_read_and_paging(app, db, make_user):
    person = make_user()
    for n in range(25):
        notify(person.id, Kind.MINUTES_PUBLISHED, params={"title": f"Rapat {n:02d}"})
    db.session.commit()
    client = login(app.test_client(), person)
    first = client.get("/notifications").text
    assert "Rapat 24" in first and "Rapat 05" in first and "Rapat 04" not in first
    older = re.search(r'href="(/notifications\?before=\d+)"', first).group(1)
    second = client.get(older).text
    assert "Rapat 04" in second and "Rapat 00" in second and "Rapat 05" not in second
    assert bell(first) == "25 notifikasi belum dibaca"
    done = client.post("/notifications/read")
    assert done.status_code == 303 and done.location == "/notifications"
    page = client.get(done.location).text
    assert "Semua notifikasi ditandai sudah dibaca." in page and 'class="unread"' not in page
    assert bell(page) == "Notifikasi" and "Tandai semua sudah dibaca" not in page


def test_a_link_that_leads_elsewhere_is_not_followed(app, db, make_user):
    person = make_user()
    note = notify(person.id, Kind.ANNOUNCEMENT, params={"title": "x"}, url="https://evil.example/")
    db.session.commit()
    client = login(app.test_client(), person)
    assert client.post(f"/notifications/{note.id}/open").location == "/notifications"


def test_logged_out_the_list_asks_to_log_in(client):
    response = client.get("/notifications")
    assert response.status_code in (302, 303) and "/login" in response.location
    assert client.post("/notifications/read").status_code in (302, 303)


def test_the_bell_costs_one_query(app, db, make_user):
    person = make_user()
    client = login(app.test_client(), person)
    before = len(measure(client, "/account").queries)
    for n in range(30):
        notify(person.id, Kind.MINUTES_PUBLISHED, params={"title": f"Rapat {n}"})
    db.session.commit()
    after = measure(client, "/account")
    assert len(after.queries) == before and "30 notifikasi belum dibaca" in after.body
    counting = [q for q in after.queries if "notification" in q]
    assert len(counting) == 1 and "count(" in counting[0].lower()


# ---------------------------------------------------------------- notify-due

def test_notify_due_twice_the_same_day_sends_nothing_twice(app, db, make_koperasi, make_member, make_user,
                                                          make_staff):
    k = fund(make_koperasi(pokok_idr=100_000))
    borrower, late, joining = make_user(full_name="Budi"), make_user(full_name="Rina"), make_user(full_name="Yanto")
    product = loans.save_product(k, dict(PRODUCT))
    teller = make_staff(k, "teller")
    today = date(2026, 6, 10)
    for person, paid_out in ((borrower, date(2026, 5, 12)), (late, date(2026, 4, 1))):
        loan = loans.apply(make_member(k, user=person), product, 1_200_000, 6, "Modal warung")
        loans.approve(loan, board(k))
        loans.disburse(loan, teller, "cash", today=paid_out)
    pending = make_member(k, user=joining, status="approved")
    pending.joined_on = today - timedelta(days=9)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notify-due", "--today", today.isoformat()])
    assert first.exit_code == 0, first.output
    # Budi's first instalment falls due on 12 June (in 2 days); Rina's of 1 May and 1 June are overdue
    # (one reminder for the oldest); Yanto approved 9 days ago still owes pokok.
    assert "instalment_due 1, instalment_overdue 1, pokok_due 1 (3 sent)" in first.output
    again = runner.invoke(args=["notify-due", "--today", today.isoformat()])
    assert "(0 sent)" in again.output
    sent = {(n.user_id, n.kind) for n in db.session.scalars(sa.select(Notification))}
    assert sent == {(borrower.id, Kind.INSTALMENT_DUE), (late.id, Kind.INSTALMENT_OVERDUE), (joining.id, Kind.POKOK_DUE)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3
    # The next day: nothing new (the due one was told, the overdue one is told weekly).
    assert "(0 sent)" in runner.invoke(args=["notify-due", "--today", "2026-06-11"]).output
    # A week after Rina's first reminder: told again; Budi's instalment of 12 June is now overdue too.
    week_on = runner.invoke(args=["notify-due", "--today", "2026-06-16"]).output
    assert "instalment_due 0, instalment_overdue 2, pokok_due 1 (3 sent)" in week_on


def test_notify_due_refuses_a_bad_day(app):
    result = app.test_cli_runner().invoke(args=["notify-due", "--today", "kemarin"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_the_list_stays_within_budget_across_many_koperasi(app, db, make_koperasi, make_user):
    """The koperasi's names come with the list: more koperasi must not mean more queries."""
    person = make_user()
    client = login(app.test_client(), person)
    for n in range(6):
        k = make_koperasi(name=f"Koperasi Nomor {n}", member_prefix=f"K{n}")
        for kind, params in ((Kind.ANNOUNCEMENT, {"title": f"Kabar {n}", "excerpt": "Isi"}),
                             (Kind.RAT_SCHEDULED, {"title": "RAT", "starts_at": "2026-03-20T02:00:00", "place": "Balai"})):
            notify(person.id, kind, koperasi_id=k.id, params=params, url="/cards")
    db.session.commit()
    result = measure(client, "/notifications")
    assert result.status == 200 and "Koperasi Nomor 5" in result.body and "Koperasi Nomor 0" in result.body
    assert len(result.queries) <= 4, result.queries  # the user, the list, the header's counts


def test_the_service_worker_never_keeps_the_list(client):
    assert r"/^\/notifications(\/|$)/" in client.get("/sw.js").text
