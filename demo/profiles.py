"""How hard the demo data is: the generator's profiles (`unify demo-data --profile NAME`).

Kept apart from the generator (numpy, openpyxl) so the command line can list the names cheaply.

* ``default``: the messes of real exports at the shares the sample set shows;
* ``hard``: the same people, with what breaks naive linkage turned up: a few placeholder phones
  (13800138000, 12345678901, a 400 service number) typed in 3% of the phone cells and a few
  placeholder e-mails (test@test.com) in 7% of the e-mail cells, each about 3% of all records, of
  many different people; each name mess (honorific-only names, traditional script, romanised
  names, characters in reversed order) about three times as likely; romanised names come in both
  orders equally often.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name_messes: float = 1.0  # each name mess is tried this many times (happens when one try does)
    given_first: float = 0.65  # share of romanised names written given name first
    placeholder_phone: float = 0.0  # share of phone cells that hold a placeholder number instead
    placeholder_email: float = 0.0  # share of e-mail cells that hold a placeholder address instead
    # share of phone cells that hold one valid-looking shop number (demo.render.GENERIC_PHONE): a value
    # shared by a few percent of all records, on no hand list (make bench's --generic-share; no named profile sets it)
    generic_phone: float = 0.0

    def harder(self, prob: float) -> float:
        """The chance of a name mess that has chance prob in the default profile."""
        return prob if self.name_messes == 1 else 1 - (1 - prob) ** self.name_messes


PROFILES = {
    "default": Profile(),
    "hard": Profile(name_messes=3.0, given_first=0.5, placeholder_phone=0.03, placeholder_email=0.07),
}
