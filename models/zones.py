"""Indonesia's three time zones, and the one each koperasi keeps.

Times are stored in UTC; a koperasi's pages, receipts and statements show them in the
zone of its province (Kemendagri province code): WIB (UTC+7) for Sumatra, Java, West
and Central Kalimantan; WITA (UTC+8) for Bali, Nusa Tenggara, South, East and North
Kalimantan and Sulawesi; WIT (UTC+9) for Maluku and Papua. None of them keeps daylight
saving time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Zone:
    abbr: str  # what Indonesians print after a time: WIB, WITA, WIT
    tz: ZoneInfo

    @property
    def hours(self) -> int:
        """The fixed offset from UTC (no daylight saving in Indonesia)."""
        return int(self.tz.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)

    def today(self) -> date:
        return datetime.now(self.tz).date()

    def __str__(self) -> str:
        return self.abbr


WIB = Zone("WIB", ZoneInfo("Asia/Jakarta"))
WITA = Zone("WITA", ZoneInfo("Asia/Makassar"))
WIT = Zone("WIT", ZoneInfo("Asia/Jayapura"))

PROVINCE_ZONES = {
    **dict.fromkeys(("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"), WITA),
    **dict.fromkeys(("81", "82", "91", "92", "93", "94", "95", "96", "97"), WIT),
}


def zone_for(province_code: str | None) -> Zone:
    """The zone of a province (every other province, and an unknown one, keeps WIB)."""
    return PROVINCE_ZONES.get((province_code or "")[:2], WIB)


def zone_of(koperasi) -> Zone:
    """The zone a koperasi's times are shown in (anything with a ``province_code``)."""
    return zone_for(getattr(koperasi, "province_code", None))
