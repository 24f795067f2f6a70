"""Demo announcements of the first Bandung koperasi, and a notification list with some
read and some unread, so the header's bell shows a count for the demo members.

The flows themselves (approvals, loans, orders, stores) already notified as the demo ran
them; this adds the board's announcements and reads the older ones, as a member would have.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from models import announcements
from models.accounts import User
from models.announcements import Announcement
from models.base import utcnow
from models.koperasi import Koperasi
from models.notifications import Notification
from web.demo.money import demo_key
from web.extensions import db

ANNOUNCEMENTS = [  # (days ago, title, body)
    (20, "Jadwal pelayanan bulan ini",
     "Kantor koperasi buka Senin–Jumat pukul 08.00–15.00 dan Sabtu pukul 08.00–12.00.\n"
     "Setoran simpanan wajib bisa juga lewat teller keliling setiap Rabu."),
    (6, "Kerja bakti kantor koperasi",
     "Minggu pagi pukul 07.00 kita kerja bakti membersihkan kantor dan gudang. Ada sarapan bersama."),
    (1, "Undangan Rapat Anggota Tahunan",
     "Rapat Anggota Tahunan tahun buku lalu akan diadakan bulan depan di aula kelurahan. "
     "Laporan pengurus dan rancangan pembagian SHU bisa dibaca di aplikasi seminggu sebelumnya."),
]
KEEP_UNREAD = 3  # each member's newest notifications stay unread: the bell shows them


def notifications(added: Counter, first: Koperasi, pengurus: User) -> None:
    """Post the announcements not yet posted; read every member's older notifications."""
    for n, (days, title, body) in enumerate(ANNOUNCEMENTS):
        key = demo_key(f"announcement-{n}")
        if db.session.scalar(sa.select(Announcement.id).where(Announcement.koperasi_id == first.id,
                                                              Announcement.idempotency_key == key)):
            continue
        posted = announcements.post(first, pengurus, title, body, key=key)
        when = utcnow() - timedelta(days=days, hours=3)
        posted.posted_at = when
        db.session.execute(sa.update(Notification).where(Notification.kind == "announcement",
                                                         Notification.url.endswith(f"#a{posted.id}"))
                           .values(created_at=when))
        added["announcements"] += 1
    unread: dict[int, list[int]] = {}
    for user_id, note_id in db.session.execute(sa.select(Notification.user_id, Notification.id).where(
            Notification.read_at.is_(None)).order_by(Notification.id.desc())):
        unread.setdefault(user_id, []).append(note_id)
    older = [note_id for ids in unread.values() for note_id in ids[KEEP_UNREAD:]]
    read = db.session.execute(sa.update(Notification).where(Notification.id.in_(older)).values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount if older else 0
    added["notifications read"] += read
    db.session.flush()
