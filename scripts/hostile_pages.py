"""Pages for robustness work: normal report pages with a unique fact each, big pages,
parser bombs and WARC files. Used by scripts/hostile_corpus and by tests/faults/."""
from __future__ import annotations

import io
from pathlib import Path

REPORT = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
    "<div class=\"nav\">首页 | 工作总结 | 工作报告</div><h1>{title}</h1><div class=\"content\">"
    "<p>今年以来，{unit}认真落实意识形态工作责任制，牢牢把握意识形态工作的领导权和主动权，"
    "把意识形态工作与业务工作同部署、同落实、同检查、同考核。现将有关情况报告如下：</p>"
    "<p>一、主要工作</p><p>{fact}全年专题研究意识形态工作4次，开展理论学习中心组学习12次，"
    "组织干部职工参加专题培训，切实提高了干部职工的思想政治素质。</p>"
    "<p>二、存在的问题</p><p>理论学习的深度还不够，宣传阵地管理还需进一步加强。</p>"
    "<p>三、下一步打算</p><p>继续加强理论武装，强化阵地管理，推动意识形态工作再上新台阶。</p>"
    "{extra}</div><div class=\"foot\">Copyright 2024 某某网 版权所有</div></body></html>"
)
UNITS = ["青松县水利局", "红岭镇人民政府", "东湖街道办事处", "白石乡党委", "南山县教育局",
         "西河镇党委", "北岭村委会", "临江区卫生健康局", "金水县财政局", "柳河镇人民政府"]
# Syllables for facts no other page contains (a search for one finds exactly its page).
_SYL = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
FILLER = "<p>全年组织开展理论学习和专题培训，干部职工的思想政治素质得到提高，第{i}次。</p>"


def fact(n: int) -> str:
    return "编号" + _SYL[n // 20 % 20] + _SYL[n % 20] + "专项行动"


def page(n: int, extra: str = "", unit: str | None = None) -> bytes:
    """A report page (UTF-8 HTML, web chrome around it) stating fact(n)."""
    unit = unit or UNITS[n % len(UNITS)]
    title = f"{unit}{2015 + n % 9}年意识形态工作总结"
    return REPORT.format(title=title, unit=unit, fact=fact(n) + "。", extra=extra).encode("utf-8")


def big_page(mb: float, n: int = 7) -> bytes:
    """A page of one long report, about `mb` million bytes."""
    parts, size, i = [], len(page(n)), 0
    while size < mb * 1_000_000:
        parts.append(FILLER.format(i=i))
        size += len(parts[-1].encode("utf-8"))
        i += 1
    return page(n, "".join(parts))


def attribute_bomb(count: int = 200_000) -> bytes:
    """One <div> with `count` attributes: the HTML parser takes minutes on it."""
    attrs = " ".join(f'a{i}="{i}"' for i in range(count))
    return f"<html><head><title>炸弹</title></head><body><div {attrs}>正文</div></body></html>".encode()


def warc(path: Path, records: list[tuple[str | None, bytes, str | None]], gz: bool = True) -> Path:
    """A WARC of (target URL or None, HTML payload, WARC-Date or None) response records."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for url, payload, date in records:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            rec = writer.create_warc_record(url or "http://placeholder.example/", "response",
                                            payload=io.BytesIO(payload), http_headers=http,
                                            warc_headers_dict={"WARC-Date": date} if date else {})
            if url is None:
                rec.rec_headers.remove_header("WARC-Target-URI")
            writer.write_record(rec)
    return path
