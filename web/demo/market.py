"""Demo marketplace: stores of every kind, their catalogue with drawn photos, orders in every state.

Stores are looked up by koperasi and name, products by store and name, orders by a fixed
checkout key (``demo_key("order-<n>")``), so a second run adds nothing.
"""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from models import orders, regions
from models.accounts import User
from models.koperasi import Koperasi
from models.market import Product, Store, StoreStatus, add_product, open_store, set_photos, set_store_status
from web.demo.catalogue import HOURS, KINDS, STORES
from web.demo.money import demo_key
from web.demo.people import MEMBERS, MOBILES, user_by_mobile
from web.demo.pictures import product_picture
from web.extensions import db
from web.media import public_store

rina, ujang, euis, dadang, yuyun = (m[0] for m in MEMBERS[:5])
# (buyer, store, how many lines, fulfilment, payment, the state it is moved to)
ORDERS = [
    ("Budi Santoso", "Warung Bu Siti", 2, "pickup", "cash", "new"),
    ("Made Wirawan", "Warung Bu Siti", 1, "delivery", "cash", "accepted"),
    (rina, "Warung Bu Siti", 3, "pickup", "transfer", "ready"),
    (ujang, "Warung Bu Siti", 2, "delivery", "cash", "delivering"),
    ("Budi Santoso", "Warung Bu Siti", 1, "pickup", "cash", "completed"),
    (euis, "Warung Bu Siti", 1, "pickup", "cash", "cancelled"),
    ("Siti Rahmawati", "Budi Cell & Servis", 1, "pickup", "cash", "new"),
    ("Siti Rahmawati", "Budi Cell & Servis", 2, "pickup", "cash", "completed"),
    ("Siti Rahmawati", "Toserba Koperasi Maju Bersama", 3, "pickup", "cash", "completed"),
    ("Made Wirawan", "Toserba Koperasi Maju Bersama", 1, "delivery", "cash", "delivering"),
    (dadang, "Butik Batik Priangan", 1, "delivery", "transfer", "accepted"),
    (yuyun, "Sayur Segar Lembang", 2, "pickup", "cash", "ready"),
]
MOVES = {"new": [], "accepted": ["accepted"], "ready": ["accepted", "ready"], "delivering": ["accepted", "delivering"],
         "completed": ["accepted", "ready", "completed"], "cancelled": ["cancelled"]}
ABOUT = {
    "sembako": "Beras, minyak, gula, telur, dan kebutuhan dapur harian; bisa antar ke rumah sekitar",
    "jamu": "Jamu gendong dibuat segar setiap pagi dari kunyit, kencur, dan temulawak pilihan",
    "phone": "Aksesori HP, pulsa, token listrik, dan servis HP bergaransi 30 hari",
    "kue": "Kue basah tradisional untuk arisan, pengajian, dan hajatan; pesan sehari sebelumnya",
    "batik": "Batik tulis dan cap, kemeja, serta kain tenun dari perajin anggota",
    "sayur": "Sayur dan buah segar langsung dari kebun anggota di Lembang, dipetik pagi hari",
    "minimarket": "Toko milik koperasi: kebutuhan sehari-hari dengan harga khusus anggota",
    "tani": "Pupuk, benih, dan alat pertanian untuk anggota kelompok tani",
    "kerajinan": "Kerajinan tangan dan kain tradisional karya perajin anggota koperasi",
}


def store(added: Counter, owner: User, koperasi: Koperasi, name: str, kind: str, delivery_km: int | None,
          status: str, own: bool) -> Store:
    """The store of this name under ``koperasi``, opened (and approved) if missing."""
    found = db.session.scalar(sa.select(Store).where(Store.koperasi_id == koperasi.id, Store.name == name))
    if found is not None:
        return found
    rng = random.Random(f"demo-store-{name}")
    data = {"name": name, "description": f"{ABOUT[kind]}.", "nib": f"{rng.randrange(10**12, 10**13)}",
            "address": f"Jl. Pasar Baru No. {rng.randint(1, 200)}, {regions.name(koperasi.regency_code)}",
            "lat": koperasi.lat + rng.uniform(-0.01, 0.01), "lng": koperasi.lng + rng.uniform(-0.01, 0.01),
            "pickup": True, "delivery_km": delivery_km, "delivery_fee_idr": 5_000 if delivery_km else 0,
            "cod": bool(delivery_km), "whatsapp": owner.mobile, "opening_hours": HOURS[kind]}
    found = open_store(owner, koperasi, data, own_store=own)
    if status != StoreStatus.PENDING:
        set_store_status(found, status)
    added["stores"] += 1
    return found


def stock(added: Counter, shop: Store, kind: str) -> None:
    """Every item of the store's kind, each with its drawn photo; some sold out, low or hidden."""
    have = set(db.session.scalars(sa.select(Product.name).where(Product.store_id == shop.id)))
    rng = random.Random(f"demo-products-{shop.name}")
    for name, category, unit, price, shape, colour in KINDS[kind][2]:
        draw = rng.random(), rng.random(), rng.randint(4, 60)  # drawn on every run: the same each time
        if name in have:
            continue
        count = 0 if draw[0] < 0.08 else 1 + int(draw[0] * 100) % 3 if draw[0] < 0.2 else draw[2]  # some low
        member_price = price - price // 10 // 500 * 500 if draw[1] < 0.3 and price >= 10_000 else None
        product = add_product(shop, {"name": name, "category": category, "unit": unit, "price_idr": price,
                                     "member_price_idr": member_price, "stock": count, "active": draw[1] < 0.97,
                                     "description": f"{name} dari {shop.name}. Tanyakan lewat WhatsApp "
                                     "untuk pesanan dalam jumlah besar."})
        set_photos(product, [product_picture(shape, colour)], public_store())  # files in the media folder
        added["products"] += 1


def order(added: Counter, buyer: User, shop: Store, lines: int, fulfilment: str, payment: str, state: str,
          n: int) -> None:
    key = demo_key(f"order-{n}")
    if db.session.scalar(sa.select(orders.Order.id).where(orders.Order.buyer_id == buyer.id,
                                                          orders.Order.checkout_key == key)):
        return
    for item in orders.cart(buyer):  # a demo buyer's cart holds only this order
        db.session.delete(item)
    products = db.session.scalars(sa.select(Product).where(Product.store_id == shop.id, Product.active.is_(True),
                                                           Product.stock >= 5).order_by(Product.id).limit(lines))
    for k, product in enumerate(products):
        orders.add_to_cart(buyer, product, 1 + (n + k) % 3)
    address = f"Jl. Melati No. {n + 3}, dekat masjid, {regions.name(shop.koperasi.regency_code)}"
    choice = orders.Choice(fulfilment=fulfilment, payment=payment, address=address if fulfilment != "pickup" else None)
    seller = db.session.get(User, shop.owner_id)
    for placed in orders.checkout(buyer, {shop.id: choice}, key).orders:
        for to in MOVES[state]:
            orders.move(placed, to, seller, as_seller=True,
                        reason="Maaf, stok habis hari ini; silakan pesan lagi besok." if to == "cancelled" else "")
        added["orders"] += 1


def market(added: Counter, by_city: dict[str, list[Koperasi]]) -> None:
    """Members' stores and each city's koperasi store, their catalogues, and orders in every state."""
    people = {name: user_by_mobile(mobile) for name, mobile in MOBILES.items()}  # by number: names may differ
    stores = {}
    for owner_name, city, index, name, kind, km, status in STORES:
        koperasi = by_city[city][index]
        owner = people[owner_name] if owner_name else db.session.get(User, koperasi.created_by_id)
        stores[name] = store(added, owner, koperasi, name, kind, km, status, own=owner_name is None)
        stock(added, stores[name], kind)
    db.session.flush()
    for n, (buyer, name, lines, fulfilment, payment, state) in enumerate(ORDERS):
        order(added, people[buyer], stores[name], lines, fulfilment, payment, state, n)
