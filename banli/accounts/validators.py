"""Password validators for what Chinese users commonly choose, which Django's English list of
common passwords misses: a name in pinyin with digits (zhangwei123, wangfang2024), number and
keyboard patterns (123456abc, 1qaz2wsx, a123456), love numbers (5201314, woaini1314), and the
body's own code or name or the username (OWASP ASVS 2.1.7: refuse breached and common
passwords).

The lists are short on purpose: they hold the patterns that make up most of the published
Chinese password leaks, not a dictionary."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from banli.bodies.models import Membership


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The most common surnames (百家姓 by population), in pinyin, compound ones included.
SURNAMES = _words(
    """
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng
    liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan cai jiang yu du
    ye cheng wei su lu ding ren shen yao jin fu zhong cui tan qiu qin jia xia fang shi hou
    bai meng long wan duan lei qian tang yin yi chang qiao lai gong wen kong kang mao qiu
    xiong hao shao niu yan ge zou dai fan hong mo shu ouyang shangguan situ zhuge sima
    dongfang huangfu murong
    """
)

# Syllables that make up most given names (名).
GIVEN = _words(
    """
    wei fang na min jing li qiang lei jun yang yong yan jie juan tao ming chao xiu xia ping
    gang gui hua hui ying lan mei hong yu xin bo bin peng fei hao jian zhi kai yi ning lin
    xiao dan qing chun feng cheng tian long hai bing zhen xue ting ling jia rui shan wen
    yun chen hang yue zhe xuan han hao hong wu guo dong jin bao an ke le lu qi song rong
    ru shu qin ya yao zi zhu hu xiang guang sheng fu de liang zhong shi jiao liu miao nan
    xing yuan kun ze san si er lili wenjie
    """
)

# Words and walks that carry no secret (their letters only: digits and symbols are handled
# apart). Pinyin phrases of the leaks: woaini (我爱你), mima (密码), nihao (你好).
COMMON_WORDS = _words(
    """
    woaini aini woaiwojia mima nihao laopo laogong baobao beibei qinaide wodemima
    iloveyou love password passwd pass admin administrator root user test guest welcome
    qwerty qwertyuiop asdf asdfgh asdfghjkl zxcv zxcvbn zxcvbnm qaz wsx edc qazwsx qweasd
    qweasdzxc qwe asd zxc abc abcd abcde abcdef abcdefg abcdefgh banli
    """
)

# Keyboard walks that mix letters and digits; they stand for a whole password.
MIXED_WALKS = (
    "1qaz2wsx3edc",
    "1qaz2wsx",
    "1qazxsw2",
    "zaq12wsx",
    "zaq1xsw2",
    "1q2w3e4r5t",
    "1q2w3e4r",
    "1q2w3e",
    "q1w2e3r4",
    "qwe123",
    "asd123",
    "zxc123",
    "abc123",
    "!qaz@wsx",
    "1qaz@wsx",
    "!qaz2wsx",
)

# Numbers with a meaning in Chinese leaks: 520 / 1314 (我爱你 / 一生一世), 5201314.
COMMON_NUMBERS = ("5201314", "1314520", "1314", "520", "521", "168", "888", "666")

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
# A password shaped "digits and symbols, one run of letters, digits and symbols".
_SHAPE = re.compile(r"^[^a-z]{0,10}([a-z]+)[^a-z]{0,10}$")
_NOT_LETTER = re.compile(r"[^a-z]")


def _syllables(word: str, vocabulary: frozenset, most: int) -> bool:
    """True if `word` splits into at most `most` syllables of `vocabulary`."""
    if not word:
        return True
    if most == 0:
        return False
    return any(
        word[:n] in vocabulary and _syllables(word[n:], vocabulary, most - 1)
        for n in range(1, min(len(word), 6) + 1)
    )


def is_pinyin_name(word: str) -> bool:
    """zhangwei, wangfang, ouyangxiaoming, xiaoming, zhang: a surname with up to two given
    syllables, or a given name of two or three syllables."""
    for n in range(1, min(len(word), 9) + 1):
        if word[:n] in SURNAMES and _syllables(word[n:], GIVEN, 2):
            return True
    return len(word) >= 4 and _syllables(word, GIVEN, 3)


def _is_walk(word: str) -> bool:
    """A run along a keyboard row or the alphabet, either way (qwerty, asdf, abc, cba)."""
    return len(word) >= 3 and any(word in row or word in row[::-1] for row in _ROWS)


def _is_weak_letters(word: str) -> bool:
    return (
        len(word) <= 3
        or len(set(word)) == 1
        or word in COMMON_WORDS
        or _is_walk(word)
        or is_pinyin_name(word)
    )


def weakness(password: str) -> str | None:
    """Why `password` is a common Chinese-style password, or None."""
    text = password.lower().strip()
    for walk in MIXED_WALKS:
        text_without = text.replace(walk, "")
        if len(text_without) <= 3 and len(text_without) < len(text):
            return _("This password is a keyboard pattern.")
    letters = _NOT_LETTER.sub("", text)
    if not letters:
        # All digits and symbols: Django's NumericPasswordValidator refuses the all-digit
        # ones; the love numbers and runs get a clearer message.
        if any(number in text for number in COMMON_NUMBERS) or _digit_run(text):
            return _("This password is a common number.")
        return None
    match = _SHAPE.match(text)
    if match and _is_weak_letters(match.group(1)):
        word = match.group(1)
        if is_pinyin_name(word) and word not in COMMON_WORDS:
            return _("This password is a name in pinyin, with or without digits.")
        return _("This password is a common word or keyboard pattern, with or without digits.")
    return None


def _digit_run(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    runs = ("01234567890123456789", "98765432109876543210")
    return len(digits) >= 4 and (any(digits in run for run in runs) or len(set(digits)) == 1)


class ChinesePatternValidator:
    """Refuses a name in pinyin with digits, number and keyboard patterns and the common
    Chinese pass-phrases (see `weakness`)."""

    def validate(self, password: str, user=None) -> None:
        reason = weakness(password)
        if reason:
            raise ValidationError(reason, code="password_chinese_pattern")

    def get_help_text(self) -> str:
        return _(
            "Your password cannot be a name in pinyin with digits (zhangwei123), a number or "
            "keyboard pattern (123456abc, 1qaz2wsx) or a common phrase (woaini1314)."
        )


def _context_words(user) -> list[str]:
    """The username and the codes and names of the user's bodies, lower-cased."""
    if user is None:
        return []
    words = [user.get_username()]
    if user.pk is not None:
        for code, name in Membership.objects.filter(user_id=user.pk).values_list(
            "body__code", "body__name"
        ):
            words += [code, code.replace("-", "").replace("_", ""), name]
    return sorted({w.lower() for w in words if w and len(w) >= 3}, key=len, reverse=True)


class OwnContextValidator:
    """Refuses a password built on the username or on the code or name of the user's body:
    what is left once they are taken out, digits and symbols aside, must be at least
    `min_rest` letters (else `szrd2026!` or `body-1@2026` would do)."""

    def __init__(self, min_rest: int = 6):
        self.min_rest = min_rest

    def validate(self, password: str, user=None) -> None:
        text = password.lower()
        found = False
        for word in _context_words(user):
            if word in text:
                found = True
                text = text.replace(word, "")
        if found and len(re.sub(r"[\d\W_]", "", text)) < self.min_rest:
            raise ValidationError(
                _("Your password cannot be built on your username or your body's code or name."),
                code="password_own_context",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be built on your username or your body's code or name.")
