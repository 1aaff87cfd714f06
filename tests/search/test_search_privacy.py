"""Masking by role and branch scoping, through the JSON API and the pages, on a private copy of the
sample run's warehouse: who sees which contact details, the unmask audit, what an account limited
to branches finds, opens, reviews and resolves."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from search.app import create_app
from search.auth import Staff
from search.branches import Branch, BranchError, BranchFile, parse_branches, read_branches_file, scope_of
from search.snapshot import read_control
from search.staff import add_staff, issue_token, limit_to_branches, save_branch
from search.store import Store
from warehouse.engine import make_engine

EAST = ("李强", "王芳")  # the sample's salespeople of the file's branch 'east'
ONLINE = ("tmall", "shopify")  # the source systems of the admin page's branch 'online'
BRANCHES_YAML = "branches:\n  east:\n    salespeople: [李强, 王芳]\n  service:\n    source_systems: [call_center]\n"
PASSWORD = "scoped-password-1"
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


@pytest.fixture(scope="module")
def scoped(published, tmp_path_factory):
    """An app over a private copy with: sam, a viewer limited to 'east' (the file's); rob, a reviewer
    limited to 'online' (the admin page's); nora, a viewer limited to a branch nobody defined."""
    directory = tmp_path_factory.mktemp("scoped_warehouse")
    url = published.copy(directory)
    (directory / "branches.yaml").write_text(BRANCHES_YAML, encoding="utf-8")
    engine = make_engine(url)
    save_branch(engine, Branch("online", source_systems=frozenset(ONLINE)), "adam")
    tokens = {}
    for name, role, branches in (
        ("sam", "viewer", ["east"]),
        ("rob", "reviewer", ["online"]),
        ("nora", "viewer", ["gone"]),
    ):
        add_staff(engine, name, role, PASSWORD)
        limit_to_branches(engine, name, branches)
        tokens[name] = issue_token(engine, name)
    engine.dispose()
    store = Store(url, branches_file=directory / "branches.yaml")
    app = create_app(store, secret="test-secret-key-not-for-production", background_refresh=False)
    with TestClient(app) as client:
        client.tokens = {**published.tokens, **tokens}
        client.store = store
        client.db = directory / "w.duckdb"
        yield client


def auth(client, user: str) -> dict:
    return {"Authorization": f"Bearer {client.tokens[user]}"}


def query(client, sql: str, params=()) -> list[tuple]:
    client.store.flush_audit()
    with client.store.io_lock, duckdb.connect(str(client.db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def east_customers(client) -> set[str]:
    return {
        r[0]
        for r in query(
            client, "select distinct customer_id from customer_source_records where salesperson in (?, ?)", EAST
        )
    }


@pytest.fixture(scope="module")
def customers(scoped):
    """A customer with a phone, email and address; one no record of 'east' holds; one 'east' shares
    with other branches' records and tickets."""
    full = query(
        scoped,
        "select customer_id from golden_customers where phone like '+86%' and email is not null and address is not null"
        " order by customer_id limit 1",
    )[0][0]
    east = east_customers(scoped)
    outside = query(
        scoped,
        "select g.customer_id, g.phone from golden_customers g where g.phone is not null and g.customer_id not in "
        "(select customer_id from customer_source_records where salesperson in (?, ?)) order by g.customer_id limit 1",
        EAST,
    )[0]
    shared = query(
        scoped,
        "select t.customer_id from customer_service_tickets t join customer_source_records r using (customer_id) "
        "where r.salesperson in (?, ?) group by all order by 1 limit 1",
        EAST,
    )[0][0]
    return {"full": full, "east": east, "outside": outside[0], "outside_phone": outside[1], "shared": shared}


# ---------------------------------------------------------------- masking by role


@pytest.mark.parametrize("user", ["vera", "rita"])
def test_viewers_and_reviewers_see_contact_details_masked(scoped, customers, user):
    body = scoped.get(f"/api/customers/{customers['full']}", headers=auth(scoped, user)).json()
    c = body["customer"]
    assert MASKED_PHONE.match(c["phone"]), c["phone"]
    assert re.match(r"^\w?\*\*\*@[\w.\-]+$", c["email"]), c["email"]
    assert c["address"] == " ".join(p for p in (c["city"], c["district"]) if p)
    assert body["masked"] == ["phone", "email", "wechat", "address"]
    fields = {f["field"]: f for f in body["fields"]}
    assert fields["phone"]["value"] == c["phone"] and fields["phone"]["masked"]
    assert not fields["display_name"]["masked"]
    for record in body["records"]:
        assert record["phone_display"] is None or "*" in record["phone_display"]
        assert record["email"] is None or "***@" in record["email"]
    for entry in body["consent"]["audience"] or []:
        assert "*" in entry["address"]


def test_admins_see_everything(scoped, customers):
    admin = scoped.get(f"/api/customers/{customers['full']}", headers=auth(scoped, "adam")).json()
    truth = query(
        scoped, "select phone, email, address from golden_customers where customer_id = ?", [customers["full"]]
    )[0]
    assert (admin["customer"]["phone"], admin["customer"]["email"], admin["customer"]["address"]) == truth
    assert admin["masked"] == [] and not any(f.get("masked") for f in admin["fields"])
    hits = scoped.get("/api/customers", params={"q": truth[0]}, headers=auth(scoped, "adam")).json()
    assert hits["masked"] == [] and hits["results"][0]["phone"] == truth[0]


def test_search_hits_are_masked_for_viewers(scoped, customers):
    phone = query(scoped, "select phone from golden_customers where customer_id = ?", [customers["full"]])[0][0]
    body = scoped.get("/api/customers", params={"q": phone}, headers=auth(scoped, "vera")).json()
    hit = body["results"][0]
    assert hit["customer_id"] == customers["full"]
    assert MASKED_PHONE.match(hit["phone"]) and "***@" in hit["email"]
    assert body["masked"] == ["phone", "email", "wechat", "address"]


def test_reviewers_see_review_pairs_in_full(scoped):
    pair = scoped.get("/api/review", headers=auth(scoped, "rita")).json()["pairs"][0]["pair_id"]
    body = scoped.get(f"/api/review/{pair}", headers=auth(scoped, "rita")).json()
    phones = [f[side] for f in body["fields"] if f["field"] == "phone" for side in ("left", "right") if f[side]]
    assert phones and all(p.startswith("+") and "*" not in p for p in phones)


def test_unmasking_is_audited_with_the_field_never_the_value(scoped, customers):
    cid = customers["full"]
    truth = query(scoped, "select phone, email from golden_customers where customer_id = ?", [cid])[0]
    body = scoped.post(f"/api/customers/{cid}/unmask", json={"fields": ["phone"]}, headers=auth(scoped, "vera")).json()
    assert body["customer"]["phone"] == truth[0]  # in full
    assert body["customer"]["email"] != truth[1]  # the rest stays masked
    assert body["masked"] == ["email", "wechat", "address"]
    rows = query(scoped, "select username, target, detail, \"at\" from audit_log where action = 'unmask'")
    assert ("vera", cid, "phone") in [r[:3] for r in rows]
    digits = truth[0][-8:]
    assert not query(scoped, "select * from audit_log where detail like ? or target like ?", [f"%{digits}%"] * 2)


def test_unmasking_an_unknown_field_is_a_422_naming_the_rule_not_the_value(scoped, customers):
    response = scoped.post(
        f"/api/customers/{customers['full']}/unmask", json={"fields": ["13812345678"]}, headers=auth(scoped, "vera")
    )
    assert response.status_code == 422 and "13812345678" not in response.text


def test_unmasking_on_the_page_needs_the_form_token(scoped, customers):
    page = logged_in(scoped, "sam")
    shared = customers["shared"]
    assert page.post(f"/customers/{shared}/unmask", data={"field": "phone", "csrf": "forged"}).status_code == 403
    response = page.post(f"/customers/{shared}/unmask", data={"field": "phone", "csrf": page.csrf})
    assert response.status_code == 200 and "this is logged" in response.text
    assert ("sam", shared, "phone") in query(
        scoped, "select username, target, detail from audit_log where action = 'unmask'"
    )


# ---------------------------------------------------------------- branch scoping


def logged_in(client, username: str) -> TestClient:
    c = TestClient(client.app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf, "next": "/"})
    c.csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
    return c


def test_an_out_of_branch_customer_is_a_404_like_an_unknown_one(scoped, customers):
    outside, unknown = customers["outside"], "C99999999"
    for path in ("/api/customers/{}", "/api/customers/{}/why"):
        got, none = (scoped.get(path.format(c), headers=auth(scoped, "sam")) for c in (outside, unknown))
        assert (got.status_code, got.json()) == (none.status_code, none.json()) == (404, none.json())
    unmask = scoped.post(f"/api/customers/{outside}/unmask", json={"fields": ["phone"]}, headers=auth(scoped, "sam"))
    assert unmask.status_code == 404
    assert scoped.get(f"/api/customers/{outside}", headers=auth(scoped, "vera")).status_code == 200  # unscoped
    page = logged_in(scoped, "sam")
    assert page.get(f"/customers/{outside}").status_code == 404


def test_search_finds_no_customer_outside_the_branches(scoped, customers):
    phone = customers["outside_phone"]
    assert scoped.get("/api/customers", params={"q": phone}, headers=auth(scoped, "sam")).json()["results"] == []
    assert scoped.get("/api/customers", params={"q": phone}, headers=auth(scoped, "adam")).json()["results"]


def test_other_branches_are_left_out_before_the_limit(scoped, customers):
    """A page of a limited account's results is as full as its branches' matches allow: the same
    customers, in the same order, as everyone's matches with the others taken out."""
    east = customers["east"]
    surnames = query(
        scoped, "select left(display_name, 1), count(*) from golden_customers group by 1 order by 2 desc, 1 limit 5"
    )
    for surname, _ in surnames:
        everyone = scoped.get(
            "/api/customers", params={"q": surname, "limit": 100}, headers=auth(scoped, "adam")
        ).json()
        ids = [r["customer_id"] for r in everyone["results"]]
        mine = [c for c in ids if c in east]
        k = max(1, min(5, len(mine)))
        if len(ids) < 100 and any(c not in east for c in ids[:k]) and mine:
            break
    else:
        pytest.fail("no surname whose first results mix the branch's customers with others'")
    got = scoped.get("/api/customers", params={"q": surname, "limit": k}, headers=auth(scoped, "sam")).json()
    assert [r["customer_id"] for r in got["results"]] == mine[:k]


def test_a_cross_branch_customer_shows_shared_fields_not_other_branches_notes(scoped, customers):
    shared = customers["shared"]
    everyone = scoped.get(f"/api/customers/{shared}", headers=auth(scoped, "adam")).json()
    sam = scoped.get(f"/api/customers/{shared}", headers=auth(scoped, "sam")).json()
    assert sam["customer"]["display_name"] == everyone["customer"]["display_name"]
    assert sam["salespeople"] == everyone["salespeople"]  # who else has contacted the customer
    assert sam["records"] and all(r["salesperson"] in EAST for r in sam["records"])
    assert sam["other_branches"]["record_count"] == len(everyone["records"]) - len(sam["records"]) > 0
    assert "online" in sam["other_branches"]["branches"] or "service" in sam["other_branches"]["branches"]
    assert everyone["tickets"] and sam["tickets"] == [] and sam["orders"] == []  # east has no shop or desk
    page = logged_in(scoped, "sam").get(f"/customers/{shared}")
    assert "Other branches know this customer too" in page.text
    for ticket in everyone["tickets"]:
        assert ticket["ticket_id"] not in page.text


def test_resolve_shows_no_candidate_outside_the_branches(scoped, customers):
    outside = customers["outside"]
    name, phone = query(
        scoped,
        "select name, phone from customer_source_records where customer_id = ? and phone is not null limit 1",
        [outside],
    )[0]
    record = {"name": name, "phone": phone}
    everyone = scoped.post("/api/resolve", json=record, headers=auth(scoped, "adam")).json()
    assert everyone["customer_id"] == outside
    sam = scoped.post("/api/resolve", json=record, headers=auth(scoped, "sam")).json()
    seen = [c["customer_id"] for c in sam["candidates"]] + [sam["customer_id"]]
    assert outside not in seen
    assert all(c in customers["east"] for c in seen if c is not None)
    assert sam["decision"] in ("new", "review", "match") and (sam["customer_id"] is None) == (sam["decision"] == "new")
    # the "new customer?" page answers as the API does, with the same scope
    page = logged_in(scoped, "sam").post("/resolve", data={**record, "csrf": logged_in(scoped, "sam").csrf})
    assert page.status_code == 403  # another session's token is refused
    sam_page = logged_in(scoped, "sam")
    page = sam_page.post("/resolve", data={**record, "csrf": sam_page.csrf})
    assert page.status_code == 200 and outside not in page.text
    assert f"<strong>{sam['decision']}</strong>" in page.text
    assert set(re.findall(r'<a href="/customers/(C\d+)">', page.text)) == set(seen) - {None}


def test_a_limited_reviewer_reviews_only_pairs_of_its_branches(scoped):
    online = {
        r[0]
        for r in query(
            scoped, "select distinct customer_id from customer_source_records where source_system in (?, ?)", ONLINE
        )
    }
    everyone = scoped.get("/api/review", params={"status": "all"}, headers=auth(scoped, "adam")).json()["pairs"]
    mine = scoped.get("/api/review", params={"status": "all"}, headers=auth(scoped, "rob")).json()["pairs"]
    inside = [p for p in everyone if {p["left_customer_id"], p["right_customer_id"]} <= online]
    assert [p["pair_id"] for p in mine] == [p["pair_id"] for p in inside]
    others = [p for p in everyone if p not in inside]
    assert others, "the sample queue has pairs outside the online shops"
    assert scoped.get(f"/api/review/{others[0]['pair_id']}", headers=auth(scoped, "rob")).status_code == 404
    decided = scoped.post(f"/api/review/{others[0]['pair_id']}", json={"decision": "same"}, headers=auth(scoped, "rob"))
    assert decided.status_code == 404


def test_an_account_limited_to_a_branch_nobody_defined_sees_nothing(scoped, customers):
    phone = customers["outside_phone"]
    assert scoped.get("/api/customers", params={"q": phone}, headers=auth(scoped, "nora")).json()["results"] == []
    assert scoped.get(f"/api/customers/{customers['full']}", headers=auth(scoped, "nora")).status_code == 404


def test_the_admin_page_defines_branches_and_limits_accounts(scoped):
    admin = TestClient(scoped.app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/login").text).group(1)
    admin.post("/login", data={"username": "adam", "password": "admin-password-1", "csrf": csrf, "next": "/"})
    page = admin.get("/admin/branches")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert "east" in page.text and "online" in page.text
    saved = admin.post("/admin/branches", data={"name": "north", "salespeople": "刘洋\nzhao_min", "csrf": csrf})
    assert saved.status_code == 200 and "north" in saved.text
    assert admin.post("/admin/branches", data={"name": "east", "salespeople": "x", "csrf": csrf}).status_code == 409
    assert admin.post("/admin/branches", data={"name": "a,b", "salespeople": "x", "csrf": csrf}).status_code == 422
    assert admin.post("/admin/accounts/nora/branches", data={"branches": "nowhere", "csrf": csrf}).status_code == 422
    assert admin.post("/admin/accounts/nora/branches", data={"branches": "north", "csrf": csrf}).status_code == 200
    assert scoped.get("/api/me", headers=auth(scoped, "nora")).status_code == 200
    north = {
        r[0]
        for r in query(
            scoped, "select customer_id from customer_source_records where salesperson in ('刘洋', 'zhao_min')"
        )
    }
    assert all(
        scoped.get(f"/api/customers/{c}", headers=auth(scoped, "nora")).status_code == 200 for c in sorted(north)[:3]
    )
    actions = [r[0] for r in query(scoped, "select action from audit_log where username = 'adam'")]
    assert {"define_branch", "limit_account"} <= set(actions)
    assert logged_in(scoped, "sam").get("/admin/branches").status_code == 403


# ---------------------------------------------------------------- branches: the definitions


def test_accounts_made_before_branches_are_unscoped(published, tmp_path):
    url = published.copy(tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("alter table staff_accounts drop column branches")
    vera = read_control(url).accounts["vera"]
    assert "branches" not in vera  # an older warehouse's row
    store = Store(url, branches_file="")
    store.refresh(force=True)
    assert store.scope(Staff("vera", "viewer", None).branches) is None
    limit_to_branches(make_engine(url), "vera", ["east"])  # gains the column on first write
    assert read_control(url).accounts["vera"]["branches"] == "east"
    assert read_control(url).accounts["rita"]["branches"] is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"east": {"salespeople": ["a"]}}, "one mapping"),
        ({"branches": {"east": {"salespeople": "李强"}}}, "lists of names"),
        ({"branches": {"east": {"people": ["李强"]}}}, "only salespeople and source_systems"),
        ({"branches": {"east": {}}}, "names no salespeople and no source systems"),
        ({"branches": {"a,b": {"salespeople": ["x"]}}}, "not a valid branch name"),
    ],
)
def test_a_bad_branch_definition_is_one_line(data, message):
    with pytest.raises(BranchError, match=message) as error:
        parse_branches(data)
    assert "\n" not in str(error.value)


def test_the_branches_file_is_read_again_and_a_broken_edit_keeps_the_last_good(tmp_path: Path):
    path = tmp_path / "branches.yaml"
    path.write_text(BRANCHES_YAML, encoding="utf-8")
    branches = BranchFile(path)
    assert set(branches.branches()) == {"east", "service"}
    path.write_text("branches:\n  west:\n    source_systems: [helpdesk, tmall]\n", encoding="utf-8")
    assert branches.branches()["west"].source_systems == {"helpdesk", "tmall"}
    path.write_text("branches: [oops\n", encoding="utf-8")
    assert set(branches.branches()) == {"west"}
    with pytest.raises(BranchError, match="not valid YAML at line"):
        read_branches_file(path)
    with pytest.raises(BranchError):
        BranchFile(path)  # unreadable at start: the server does not start


def test_a_scope_is_the_union_of_its_branches():
    branches = parse_branches(
        {"branches": {"east": {"salespeople": ["李强"]}, "online": {"source_systems": ["tmall"]}}}
    )
    scope = scope_of(["east", "online", "gone"], branches)
    assert scope.holds({"salesperson": "李强", "source_system": "sales"})
    assert scope.holds({"salesperson": None, "source_system": "tmall"})
    assert not scope.holds({"salesperson": "王芳", "source_system": "sales"})
    assert scope_of(None, branches) is None and scope_of([], branches) is None
    assert not scope_of(["gone"], branches).holds({"salesperson": "李强", "source_system": "tmall"})
