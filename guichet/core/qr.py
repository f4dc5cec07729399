"""QR codes (segno) with the standard's choice of mask, computed faster than segno does it.

ISO/IEC 18004 (7.8.3) has the encoder try the eight data masks and keep the one of lowest
penalty: it keeps a code easy to read on a worn or badly printed sheet. segno scores the eight
module by module in pure Python, about 4 to 5 ms a code, most of an invitation page's CPU. Here
the same scores (segno's `mask_scores`, to the same integers) are computed on the whole matrix
at once: the symbol as one `bytes` of 0 and 1 (a module a byte), the masks XORed as big
integers, N1 by a regular expression over the rows and the columns, N2 with bit operations, N3
with `bytes.find` as segno does it, N4 by `bytes.count`. segno encodes the data once, with mask
0; the matrix of the chosen mask follows from it (the data modules XORed again, segno's own
`add_format_info`). `test_qr` checks the choice and the matrix against segno on thousands of
URLs."""

import functools
from typing import NamedTuple

import segno
from segno import encoder

_N3_PATTERN = b"\x01\x00\x01\x01\x01\x00\x01"


class _Layout(NamedTuple):
    """What does not depend on the data, for a symbol of `width` modules: the modules outside
    the data region as segno scores them, the data region, each mask's dark modules in it, and
    the byte masks the scores use (a module a byte: each is 0 or 1)."""

    fixed: int
    region: int
    patterns: tuple[int, ...]
    ones: int
    left: int  # modules with a left neighbour
    up: int  # modules with a neighbour above
    left_and_up: int
    row_windows: int  # modules ending 5 in a row (column ≥ 4)
    column_windows: int  # modules ending 5 in a column (row ≥ 4)
    last_column: int
    last_row: int


@functools.cache
def _layout(width: int) -> _Layout:
    """segno's own function patterns for `width`, the format and version areas light (as they
    are before segno writes them, when it scores the masks)."""
    function_matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function_matrix, width, width)
    encoder.add_alignment_patterns(function_matrix, width, width)
    fixed = bytearray()
    region = bytearray()
    for row in function_matrix:
        fixed += bytes(value if value <= 1 else 0 for value in row)
        region += bytes(1 if value > 1 else 0 for value in row)
    fixed[(width - 8) * width + 8] = 0  # the dark module, written with the format
    cells = [(i, j) for i in range(width) for j in range(width)]

    def where(condition) -> int:
        return _integer(bytes(1 if condition(i, j) else 0 for i, j in cells))

    return _Layout(
        fixed=_integer(bytes(fixed)),
        region=_integer(bytes(region)),
        patterns=tuple(
            where(lambda i, j, pattern=pattern: region[i * width + j] and pattern(i, j))
            for pattern in encoder.get_data_mask_functions(is_micro=False)
        ),
        ones=where(lambda i, j: True),
        left=where(lambda i, j: j >= 1),
        up=where(lambda i, j: i >= 1),
        left_and_up=where(lambda i, j: i >= 1 and j >= 1),
        row_windows=where(lambda i, j: j >= 4),
        column_windows=where(lambda i, j: i >= 4),
        last_column=where(lambda i, j: j == width - 1),
        last_row=where(lambda i, j: i == width - 1),
    )


def _integer(modules: bytes) -> int:
    return int.from_bytes(modules, "big")


def _bytes(modules: int, width: int) -> bytes:
    return modules.to_bytes(width * width, "big")


def _n1(matrix: int, ones: int, step: int, neighbour: int, windows: int, last: int) -> int:
    """N1 along rows (`step` 8 bits, one module) or columns (one row): a run of 5 + i modules of
    one colour costs 3 + i, that is one per 5 modules in a row it holds (i + 1) and 2 per run."""
    same = (ones ^ matrix ^ (matrix >> step)) & neighbour  # as the module before
    fives = same & (same >> step) & (same >> 2 * step) & (same >> 3 * step) & windows
    run_ends = fives & ((ones ^ ((same << step) & ones)) | last)
    return fives.bit_count() + 2 * run_ends.bit_count()


def _n3(text: bytes, width: int) -> int:
    """segno's count of 1:1:3:1:1 patterns with light modules on one side, to the letter
    (where it starts the next search, what it counts at the ends), over rows (or columns)
    joined by a byte that is neither colour."""
    count = 0
    index = text.find(_N3_PATTERN)
    while index != -1:
        start = index - index % (width + 1)
        sequence, local = text[start : start + width], index - start
        offset = local + 7
        if (
            local in (0, width - 7)
            or not any(sequence[max(local - 4, 0) : min(local, width)])
            or not any(sequence[max(offset, 0) : min(offset + 4, width)])
        ):
            count += 40
        else:
            offset = local + 4
        index = text.find(_N3_PATTERN, start + offset)
    return count


def mask_scores(modules: bytes, width: int) -> tuple[int, int, int, int]:
    """segno's `encoder.mask_scores` (N1, N2, N3, N4) of a square symbol given as `bytes`,
    row after row, a module a byte (0 light, 1 dark)."""
    layout = _layout(width)
    matrix, ones, row = _integer(modules), layout.ones, 8 * width
    n1 = _n1(matrix, ones, 8, layout.left, layout.row_windows, layout.last_column)
    n1 += _n1(matrix, ones, row, layout.up, layout.column_windows, layout.last_row)
    vertical = ones ^ matrix ^ (matrix >> row)  # as the module above
    horizontal = ones ^ matrix ^ (matrix >> 8)  # as the module on the left
    n2 = 3 * (vertical & (vertical >> 8) & horizontal & layout.left_and_up).bit_count()
    rows = b"\x02".join(modules[start : start + width] for start in range(0, len(modules), width))
    columns = b"\x02".join(modules[column::width] for column in range(width))
    n3 = _n3(rows, width) + _n3(columns, width)
    percent = float(matrix.bit_count()) / (width**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1, n2, n3, n4


def _data(content: str, error: str) -> tuple[segno.QRCode, _Layout, int, int]:
    """segno's code of `content` with mask 0, its layout, its modules and its data modules
    unmasked (the data region only)."""
    code = segno.make_qr(content, error=error, mask=0)
    layout = _layout(len(code.matrix))
    masked = _integer(b"".join(code.matrix))
    return code, layout, masked, (masked & layout.region) ^ layout.patterns[0]


def _candidates(layout: _Layout, data: int, width: int) -> list[bytes]:
    """The symbol with each of the eight masks, as segno scores it (before the format)."""
    return [_bytes(layout.fixed | (data ^ pattern), width) for pattern in layout.patterns]


def qr_matrix(content: str, *, error: str = "m") -> tuple[bytearray, ...]:
    """The matrix of `segno.make_qr(content, error=error)` (same version, error level, mask
    and modules), rows of 0 and 1 without the quiet zone."""
    code, layout, masked, data = _data(content, error)
    width = len(code.matrix)
    scores = [sum(mask_scores(modules, width)) for modules in _candidates(layout, data, width)]
    best_mask = scores.index(min(scores))  # the first of the lowest, as segno
    if best_mask == 0:
        return code.matrix
    modules = _bytes(masked ^ layout.patterns[0] ^ layout.patterns[best_mask], width)
    matrix = tuple(
        bytearray(modules[start : start + width]) for start in range(0, len(modules), width)
    )
    error_level = encoder.normalize_errorlevel(code.error)
    encoder.add_format_info(matrix, code.version, error_level, best_mask)
    return matrix
