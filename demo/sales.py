"""sales/: one spreadsheet per salesperson, in four header layouts, as .xlsx or .csv."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.files import Truth, XlsxWriter, date_text, write_csv
from demo.people import People, given_name, pick_one
from demo.pools import SURNAMES, WEST_FEMALE, WEST_MALE
from demo.render import Render

_OPT_OUT_NOTES = ["不要再发广告", "退订", "不再接收营销", "客户说不要再发广告了", "已退订短信"]

_SALES_NOTES = ["老客户", "价格敏感", "要发票", "已加微信", "周末联系", "转介绍客户", "对点读笔感兴趣"]

SALES_LAYOUTS = {
    "A": ["姓名", "联系电话", "电子邮件", "公司", "所在城市", "客户类型", "下次跟进", "备注"],
    "B": ["联系人", "电话", "E-mail", "微信号", "收货地址", "生日", "成交金额", "备注"],
    "C": ["客户姓名", "手机", "微信", "邮箱", "地址", "生日", "最近联系日期", "重要程度", "营销许可", "备注"],
    "D": ["Name", "Mobile", "Email", "Company", "City", "Birthday", "Last contact", "Do not contact", "Notes"],
}


@dataclass
class _SalesFile:
    stem: str
    layout: str
    ext: str
    title: str | None
    date_styles: dict  # column name -> date style for this file
    second_sheet: str | None
    rows: list  # (person index, row cells)


def _salesperson_stems(r: random.Random, n: int) -> list[str]:
    """Chinese names (王芳) and romanised ones (Kevin_Wu, zhao_min), all distinct."""
    stems, seen = [], set()
    while len(stems) < n:
        sur, sur_py, _ = r.choices(SURNAMES, weights=[w for _, _, w in SURNAMES])[0]
        female = r.random() < 0.5
        given, given_py = given_name(r, female)
        x = r.random()
        if x < 0.6:
            stem = sur + given
        elif x < 0.8:
            stem = f"{pick_one(r, WEST_FEMALE if female else WEST_MALE)}_{sur_py.capitalize()}"
        else:
            stem = f"{sur_py}_{given_py}"
        if stem not in seen:
            seen.add(stem)
            stems.append(stem)
    return stems


def sales_files(
    people: People, counts: np.ndarray, customers: int, rd: Render, rng: np.random.Generator
) -> list[_SalesFile]:
    r = rd.r
    n_files = int(min(200, max(2, round(customers / 65))))
    stems = _salesperson_stems(r, n_files)
    weight = rng.lognormal(0.0, 0.5, n_files)
    weight /= weight.sum()
    # Each customer has a main salesperson; a quarter of their rows sit in someone else's sheet.
    primary = rng.choice(n_files, len(people), p=weight)
    who = rng.permutation(np.repeat(np.arange(len(people)), counts))
    other = rng.choice(n_files, len(who), p=weight)
    owner = np.where(rng.random(len(who)) < 0.75, primary[who], other)
    order = np.argsort(owner, kind="stable")
    who, owner = who[order].tolist(), owner[order].tolist()

    files = [_new_sales_file(r, stem, rd.on) for stem in stems]
    for i, f in zip(who, owner):
        files[f].rows.append(i)
    return [f for f in files if f.rows]


def _new_sales_file(r: random.Random, stem: str, messes: bool) -> _SalesFile:
    romanised = stem.isascii()
    layout = pick_one(r, "DDDAABCC" if romanised else "AAABBCCCD")
    ext = ".xlsx"
    if layout == "D" and r.random() < 0.85 or layout == "A" and r.random() < 0.2:
        ext = ".csv"
    title = None
    if ext == ".xlsx" and (layout == "B" or r.random() < 0.15):
        title = pick_one(r, [f"{stem}的客户名单 (更新于2025年)", f"{stem} 客户资料", "客户跟进表 2025"])
    styles = {
        "下次跟进": "iso",
        "生日": "cn" if layout == "B" else "serial",
        "最近联系日期": "serial",
        "Birthday": pick_one(r, ["dmy", "mdy"]),
        "Last contact": pick_one(r, ["dmy", "mdy"]),
    }
    if not messes:
        styles = {k: "iso" for k in styles}
    second = None
    if ext == ".xlsx" and r.random() < 0.12:
        second = pick_one(r, ["老客户", "2024", "Sheet2", "已成交"])
    return _SalesFile(stem, layout, ext, title, styles, second, [])


def _sales_row(p: People, i: int, rd: Render, layout: str) -> tuple[list, dict, bool]:
    """Cells of one sheet row (dates still as date objects, keyed by column) and its opt-out."""
    r = rd.r
    if layout == "D" and p.cn[i] and (not rd.on or r.random() < 0.75):
        name = rd.roman(i, typo=0.03) if rd.on else rd.name(i)
    else:
        name = rd.name(i, hon=0.2, trad=0.04, typo=0.03, roman=0.03, reverse=0.01)
    phone = rd.phone(i, typo=0.02, second=0.05, both=0.35, office=0.3)
    email = rd.email(i) if r.random() < 0.6 else ""
    wechat = rd.wechat(i) if r.random() < 0.55 else ""
    address = rd.address(i) if r.random() < 0.6 else ""
    company = p.company[i] if p.company[i] and r.random() < 0.7 else ""
    birthday = p.birthday[i] if r.random() < 0.5 else None
    if birthday is not None and rd.chance(0.04):
        birthday = dt.date(1900, 1, 1)  # placeholder some CRMs fill in
    contact = dt.date.fromordinal(dt.date(2023, 1, 1).toordinal() + r.randrange(1030))
    opted = p.opted_out[i]
    note = None
    if opted and r.random() < (0.7 if layout in "AB" else 0.2):
        note = rd.pick(_OPT_OUT_NOTES)
    elif r.random() < 0.3:
        note = rd.pick(_SALES_NOTES)
    signal = note in _OPT_OUT_NOTES
    dates = {}
    if layout == "A":
        dates["下次跟进"] = contact
        cells = [
            name,
            phone,
            email or None,
            company or None,
            rd.city(i),
            rd.pick(["新客户", "老客户", "潜在客户"]),
            None,
            note,
        ]
    elif layout == "B":
        dates["生日"] = birthday
        cells = [
            name,
            phone,
            email or None,
            wechat or None,
            address or None,
            None,
            round(r.uniform(200, 5000), 2),
            note,
        ]
    elif layout == "C":
        dates["生日"], dates["最近联系日期"] = birthday, contact
        consent = "否" if opted and r.random() < 0.9 else "是"
        signal = signal or consent == "否"
        cells = [name, phone, wechat or None, email or None, address or None, None, None, rd.pick("ABC"), consent, note]
    else:
        dates["Birthday"], dates["Last contact"] = birthday, contact
        dnc = "Y" if opted and r.random() < 0.85 else None
        signal = signal or dnc == "Y"
        cells = [name, phone, email or None, company or None, rd.city(i), None, None, dnc, note]
    return cells, dates, signal


def _decidable(values: list, style: str) -> bool:
    """A DD/MM or MM/DD column is decidable once one value has a day above 12."""
    if style not in ("dmy", "mdy"):
        return True
    return any(d is not None and d.day > 12 for d in values)


def write_sales_file(out: Path, f: _SalesFile, people: People, rd: Render, truth: Truth, xlsx: XlsxWriter) -> None:
    header = SALES_LAYOUTS[f.layout]
    built = [(i,) + _sales_row(people, i, rd, f.layout) for i in f.rows]
    _make_dates_decidable(f, built, people)
    rows = []
    for i, cells, dates, signal in built:
        for col, d in dates.items():
            cells[header.index(col)] = date_text(d, f.date_styles[col])
        rows.append((i, cells, signal))

    rel = f"sales/{f.stem}{f.ext}"
    if f.ext == ".csv":
        write_csv(out / rel, header, [[("" if c is None else c) for c in cells] for _, cells, _ in rows], "utf-8-sig")
        for k, (i, _, signal) in enumerate(rows, 1):
            truth.add(rel, "", k, people.pid[i], signal)
        return
    first_name = "客户" if f.layout == "C" else "Sheet1"
    split = len(rows) if f.second_sheet is None or len(rows) < 10 else int(len(rows) * 0.7)
    sheets = [(first_name, rows[:split], f.title)]
    if split < len(rows):
        sheets.append((f.second_sheet, rows[split:], None))
    title_row = lambda t: None if t is None else [t] + [None] * (len(header) - 1)  # noqa: E731
    xlsx.write(out / rel, [(name, title_row(t), header, [c for _, c, _ in part]) for name, part, t in sheets])
    for name, part, _ in sheets:
        for k, (i, _, signal) in enumerate(part, 1):
            truth.add(rel, name, k, people.pid[i], signal)


def _make_dates_decidable(f: _SalesFile, built: list, people: People) -> None:
    """Ensure each DD/MM-or-MM/DD column shows a day above 12, so its order can be decided:
    reveal a true birthday that was left blank, or move a contact date (not a person fact)."""
    for col, style in f.date_styles.items():
        values = [dates.get(col) for _, _, dates, _ in built]
        if col not in built[0][2] or _decidable(values, style):
            continue
        if col == "Birthday":
            for i, _, dates, _ in built:
                if people.birthday[i].day > 12:
                    dates[col] = people.birthday[i]
                    break
        else:
            d = built[0][2][col]
            built[0][2][col] = d.replace(day=20)
