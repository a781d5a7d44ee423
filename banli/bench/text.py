"""The words of the benchmark's dataset: titles, texts and replies put together from phrase
pools (banli.demo.corpus and the sentences below), with the search index of each paragraph
computed once.

An item's text is paragraphs joined by newlines. Every paragraph starts with an ideographic
space and ends with a full stop, so no run of Han characters, letters or digits crosses a
paragraph boundary and whitespace never sits between two Han characters: the index of the
text is therefore the index of each paragraph joined by spaces, which is what
`text_for` returns (tests/test_bench_data.py checks it against `index_text` row by row).
"""

import random
from dataclasses import dataclass

from banli.demo import corpus
from banli.items.search import _tokens

# Sentences any item may hold, whatever its topic.
GENERIC = (
    "近年来，{we}在这方面做了大量工作，取得了一定成效，但与人民群众的期待相比仍有差距。",
    "在走访调研中，不少群众反映了这一问题，希望有关部门予以重视。",
    "据初步统计，{place}相关问题的投诉量较上年增长了三成以上。",
    "这一问题涉及多个部门，职责交叉，协调难度较大，长期得不到有效解决。",
    "从外地的经验看，坚持问题导向、分类施策，是破解这一难题的有效办法。",
    "建议有关部门加强统筹协调，明确牵头单位和责任分工，形成工作合力。",
    "建议加大财政投入力度，同时积极引导社会资本参与，拓宽资金来源渠道。",
    "建议建立健全长效管理机制，定期开展评估，及时发现和解决新情况新问题。",
    "建议加强宣传引导，充分听取群众意见，提高群众的知晓率和参与度。",
    "建议选择{place}先行试点，在总结经验的基础上逐步在全{area}推广。",
    "同时，要注重发挥基层党组织和社区居委会的作用，推动问题就地解决。",
    "要把这项工作纳入年度重点工作和绩效考核，确保各项措施落到实处。",
    "{place}的做法值得借鉴，可以结合{we}实际加以完善。",
    "在调研中我们发现，政策落实的最后一公里问题依然比较突出。",
    "部分群众对相关政策了解不多，办事渠道不够畅通，获得感还不够强。",
    "随着城镇化进程加快和人口结构变化，这一问题呈现出新的特点。",
    "建议运用大数据等信息化手段，提升管理和服务的精细化、智能化水平。",
    "相关标准和规范还不够完善，基层在执行中缺乏明确依据。",
    "建议将群众满意度作为检验工作成效的重要标准，接受社会监督。",
    "2023年以来，{we}已投入资金1.2亿元，但缺口依然较大。",
)
REPLY_GENERIC = (
    "我单位高度重视，将该件列入年度重点办理事项，由主要负责同志牵头研究办理。",
    "办理过程中，我们多次与{who}沟通联系，深入{place}实地调研，认真听取意见建议。",
    "下一步，我们将继续加强与有关部门的协调配合，推动各项措施落地见效。",
    "目前，相关工作已纳入{we}年度重点工作计划，资金已基本落实。",
    "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见。",
    "针对您提出的问题，我们会同相关部门进行了专题研究，形成了初步工作方案。",
    "我们将建立工作台账，明确时间节点和责任人，定期跟踪督办。",
    "考虑到涉及资金和规划调整，部分措施需分年度逐步实施。",
)
LEADS = ("关于", "关于进一步", "关于加快", "关于切实", "关于统筹推进", "关于持续")
CLOSING = "以上建议，请予研究办理。"


def tokens_of(text: str) -> str:
    return " ".join(_tokens(text))


@dataclass
class TopicPool:
    key: str
    category: int
    lead: str
    co: tuple[str, ...]
    cores: tuple[str, ...]
    # (paragraph, its index tokens joined by spaces)
    paragraphs: list[tuple[str, str]]
    replies: list[str]


def _fill(rng: random.Random, sentence: str, places, we: str, area: str, city: str) -> str:
    return sentence.format(
        place=rng.choice(places), we=we, area=area, city=city, who="代表委员", unit="有关部门"
    )


def build_pools(rng: random.Random, *, congress: bool, per_topic: int) -> list[TopicPool]:
    """The paragraphs of every topic for one kind of body, each indexed once."""
    places = corpus.NPC_PLACES if congress else corpus.CPPCC_PLACES
    we, area, city = ("我市", "市", "示范市") if congress else ("我区", "区", "示范区")
    pools = []
    for topic in corpus.TOPICS:
        own = [*topic.problems, *topic.suggestions]
        paragraphs = []
        for _ in range(per_topic):
            count = rng.randint(3, 6)
            sentences = [rng.choice(own) if rng.random() < 0.55 else rng.choice(GENERIC)]
            for _ in range(count - 1):
                sentences.append(rng.choice(own) if rng.random() < 0.45 else rng.choice(GENERIC))
            body = "".join(_fill(rng, s, places, we, area, city) for s in sentences)
            paragraph = "\u3000\u3000" + body
            paragraphs.append((paragraph, tokens_of(paragraph)))
        replies = []
        for _ in range(max(8, per_topic // 2)):
            parts = [rng.choice(topic.measures) for _ in range(rng.randint(1, 3))]
            parts += [rng.choice(REPLY_GENERIC) for _ in range(rng.randint(2, 4))]
            rng.shuffle(parts)
            replies.append(
                "\u3000\u3000" + "".join(_fill(rng, s, places, we, area, city) for s in parts)
            )
        pools.append(
            TopicPool(
                topic.key,
                topic.category,
                topic.lead,
                topic.co,
                topic.cores,
                paragraphs,
                replies,
            )
        )
    return pools


def title_for(rng: random.Random, pool: TopicPool, places, suffix: str) -> str:
    core = rng.choice(pool.cores).format(place=rng.choice(places))
    title = f"{rng.choice(LEADS)}{core}的{suffix}"
    if len(title) < 15:
        title = f"关于{rng.choice(places)}{core}的{suffix}"
    return title[:40]


def text_for(rng: random.Random, pool: TopicPool, length: int) -> tuple[str, str]:
    """A text of about `length` characters and its index tokens (the part after the
    title's line in `search_text`)."""
    chosen: list[tuple[str, str]] = []
    size = 0
    paragraphs = pool.paragraphs
    # Without repeating a paragraph (a long text may come back to the pool's start).
    order = rng.sample(range(len(paragraphs)), min(len(paragraphs), 24))
    n = 0
    while size < length:
        paragraph = paragraphs[order[n % len(order)]]
        n += 1
        chosen.append(paragraph)
        size += len(paragraph[0]) + 1
    chosen.append(_CLOSING)
    return "\n".join(p for p, _ in chosen), " ".join(t for _, t in chosen)


_CLOSING = ("\u3000\u3000" + CLOSING, tokens_of("\u3000\u3000" + CLOSING))


def reply_for(rng: random.Random, pool: TopicPool, name: str, title: str, length: int) -> str:
    parts = [f"{name}：", f"\u3000\u3000您提出的《{title}》收悉。现将办理情况答复如下："]
    size = 40
    while size < length:
        paragraph = rng.choice(pool.replies)
        parts.append(paragraph)
        size += len(paragraph) + 1
    parts.append("\u3000\u3000特此答复。")
    return "\n".join(parts)


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(corpus.SURNAMES), rng.choice(corpus.GIVEN_NAMES)
