"""The seed article (../shared/seed) as a finance portal serves its share page.

GB18030 bytes declared as gb2312 (or undeclared), top navigation, a sidebar of
other headlines, a footer, the visible date line and `来源：科技日报`, the body
inside a content div. Used by the fetch, save and golden tests.
"""

from __future__ import annotations

from pathlib import Path

SEED_TITLE = "从“弯道超车”到“换道超车” 科技创新为克拉玛依高质量发展提供最强引擎"
SEED_BODY = (Path(__file__).parent / "data" / "seed_body.html").read_text(encoding="utf-8").rstrip("\n")
SHARE_PATH = "/html_News/NewsShare.html?infoCode=NW202205172382328235"

_NAV = "".join(
    f'<li><a href="/{slug}/">{name}</a></li>'
    for slug, name in [
        ("", "首页"),
        ("stock", "股票"),
        ("fund", "基金"),
        ("bond", "债券"),
        ("forex", "外汇"),
        ("futures", "期货"),
        ("gold", "黄金"),
        ("news", "要闻"),
    ]
)
_SIDEBAR = "".join(
    f'<li><a href="/html_News/NewsShare.html?infoCode=NW2022051723{n:08d}">{t}</a><span>05-17</span></li>'
    for n, t in enumerate(
        [
            "央行：保持流动性合理充裕 加大对实体经济支持力度",
            "沪指收涨0.65% 新能源板块领涨两市",
            "多地出台楼市新政 首套房贷利率下调",
            "国常会部署稳经济一揽子措施",
            "外资连续三日净买入A股 北向资金加仓白酒",
            "新疆油田年产原油突破1400万吨",
        ]
    )
)


def share_page(*, declare_charset: bool = True, published_meta: bool = True) -> bytes:
    """The share page's bytes (GB18030). `published_meta` adds article:published_time with seconds."""
    charset = (
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if declare_charset else ""
    )
    meta = (
        '<meta property="article:published_time" content="2022-05-17T20:10:06+08:00">'
        if published_meta
        else ""
    )
    page = f"""<!DOCTYPE html>
<html>
<head>
{charset}
<title>{SEED_TITLE}_东方财富网</title>
<meta name="keywords" content="克拉玛依,科技创新,高质量发展">
<meta name="description" content="从凹陷区致密砾岩、页岩油勘探理论技术获得突破，到千吨级重质油浆态床加氢……">
{meta}
<link rel="stylesheet" href="/css/share.css">
<script>var _hmt = _hmt || []; window.shareConfig = {{ channel: "news", id: "NW202205172382328235" }};</script>
</head>
<body>
<div class="topbar"><div class="logo"><a href="/">东方财富网</a></div><ul class="nav">{_NAV}</ul>
<div class="login"><a href="/login">登录</a> | <a href="/reg">注册</a></div></div>
<div class="main">
  <div class="left">
    <div class="newsContent">
      <h1>{SEED_TITLE}</h1>
      <div class="infos"><div class="item">2022年05月17日 20:10</div><div class="item">来源：科技日报</div>
      <div class="item">评论 <a href="#comment">12</a></div></div>
      <div class="share"><a href="#">微信</a><a href="#">微博</a><a href="#">QQ空间</a></div>
      <div id="ContentBody" class="txtinfos">
{SEED_BODY}
      </div>
      <div class="editor">责任编辑：王晓</div>
      <div class="tips">郑重声明：东方财富网发布此信息的目的在于传播更多信息，与本站立场无关。</div>
    </div>
  </div>
  <div class="right"><div class="sidebar"><h3>热门资讯</h3><ul>{_SIDEBAR}</ul></div>
  <div class="ad"><a href="/ad/1">开户送好礼</a></div></div>
</div>
<div class="footer"><p>关于我们 | 联系我们 | 广告服务 | 免责声明</p>
<p>Copyright © 2004-2022 东方财富网 版权所有</p></div>
</body>
</html>
"""
    return page.encode("gb18030")
