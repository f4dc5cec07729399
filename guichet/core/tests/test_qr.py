"""`core.qr`: the same QR code as segno's (its mask, the standard's lowest penalty, and every
module), on 1,300 check-in URLs of the invitations' shape and on any text; the four penalty
scores equal to segno's for each of the eight masks. (Run once on 20,000 URLs with
`secrets.token_urlsafe(24)` tokens and four hosts: no difference.)"""

import base64
import secrets

import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import encoder

from guichet.core import qr

# A reservation's token: `secrets.token_urlsafe(24)`, 32 characters of base64url.
TOKEN = st.binary(min_size=24, max_size=24).map(
    lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")
)
HOSTS = st.sampled_from(
    ["http://testserver", "https://billetterie.example.org", "https://guichet.ville-exemple.fr"]
)


def _rows(matrix) -> tuple[bytes, ...]:
    return tuple(bytes(row) for row in matrix)


def _same_as_segno(content: str) -> None:
    expected = segno.make_qr(content, error="m")
    assert _rows(qr.qr_matrix(content)) == _rows(expected.matrix)


@settings(max_examples=1000, deadline=None)
@given(host=HOSTS, token=TOKEN)
def test_check_in_urls_as_segno(host, token):
    _same_as_segno(f"{host}/solidaire/controle/{token}/")


@settings(max_examples=200, deadline=None)
@given(content=st.text(min_size=1, max_size=300))
def test_any_text_as_segno(content):
    _same_as_segno(content)


def test_every_mask_chosen_and_each_score_as_segno():
    """Each of the eight masks is segno's choice for some of these URLs; each mask's four
    scores equal segno's on the same matrix, and segno's choice is the first of the lowest."""
    chosen = set()
    for _ in range(300):
        content = f"https://billetterie.example.org/solidaire/controle/{secrets.token_urlsafe(24)}/"
        mask = segno.make_qr(content, error="m").mask
        chosen.add(mask)
        code, layout, _masked, data = qr._data(content, "m")
        width = len(code.matrix)
        totals = []
        for modules in qr._candidates(layout, data, width):
            rows = tuple(
                bytearray(modules[start : start + width]) for start in range(0, len(modules), width)
            )
            scores = qr.mask_scores(modules, width)
            assert scores == encoder.mask_scores(rows, width, width)
            totals.append(sum(scores))
        assert mask == totals.index(min(totals))
    assert chosen == set(range(8))
