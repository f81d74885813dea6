"""Amounts of money as printed on a Vietnamese receipt: ``100.000 đồng`` in figures and
``Một trăm nghìn đồng`` in words (số tiền bằng chữ).

Reading rules: groups of three digits named nghìn, triệu, tỷ (and nghìn tỷ, triệu tỷ … above);
inside a group ``không trăm`` and ``linh`` keep the place of a missing hundred or ten when
something follows; ``mười`` for ten; ``mốt`` for a final one after twenty and above, ``tư`` for
a final four after twenty and above, ``lăm`` for a final five after ten and above.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu")


def _triple(number: int, *, leading: bool) -> list[str]:
    """Words of a three-digit group; ``leading`` groups drop "không trăm" / "linh"."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if (hundreds or not leading) and (hundreds or rest):
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 4 and tens >= 2:
            words.append("tư")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return words


def _below_billion(number: int, *, leading: bool) -> list[str]:
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _triple(group, leading=leading and index == top)
        if GROUPS[index]:
            words.append(GROUPS[index])
    return words


def _words(number: int, *, leading: bool = True) -> list[str]:
    billions, rest = divmod(number, 1_000_000_000)
    words: list[str] = []
    if billions:
        words += _words(billions, leading=leading) + ["tỷ"]
    if rest:
        words += _below_billion(rest, leading=leading and not billions)
    return words


def number_in_words(number: int) -> str:
    """``1005000`` → ``một triệu không trăm linh năm nghìn``."""
    if number < 0:
        return "âm " + number_in_words(-number)
    if number == 0:
        return DIGITS[0]
    return " ".join(_words(number))


def vnd_in_words(amount: int) -> str:
    """``100000`` → ``Một trăm nghìn đồng`` (capitalised, as on a receipt)."""
    text = f"{number_in_words(int(amount))} đồng"
    return text[0].upper() + text[1:]


def grouped(amount: int | None) -> str:
    """``1234567`` → ``1.234.567``."""
    return f"{int(amount or 0):,}".replace(",", ".")


def vnd(amount: int | None) -> str:
    """``1234567`` → ``1.234.567 đồng``."""
    return grouped(amount) + " đồng"
