"""The places the answer checks know by name: provinces and major cities, other countries, and
Shanghai's districts.

A gazetteer, not a list of answers: a question about another place is not answered by
Shanghai's figures, a question about one district not by another district's, and a "which
city" question needs a place in its answer. Places the reports write with a suffix (大阪市,
浙江省, 洋山港) are also found by their shape (rank/verify.py `_PLACE`). The lowest layer holds
it, so that query analysis (the parts of a question) and ranking read the same list.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Provinces and major cities, and other countries: a question about another place is not
# answered by Shanghai's figures.
PLACES = tuple(
    (
        "北京 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 "
        "湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 "
        "新疆 香港 澳门 深圳 广州 杭州 南京 苏州 武汉 成都 西安 合肥 厦门 青岛 宁波 "
        "无锡 长沙 郑州 济南 沈阳 大连 哈尔滨 长春 昆明 东莞 佛山 珠海 雄安 美国 日本 "
        "韩国 德国 英国 法国 俄罗斯 印度 新加坡 欧盟 欧洲 加拿大 澳大利亚 新西兰 芬兰 瑞典 瑞士 挪威 "
        "丹麦 荷兰 比利时 意大利 西班牙 葡萄牙 奥地利 爱尔兰 希腊 波兰 捷克 匈牙利 以色列 土耳其 "
        "伊朗 沙特 阿联酋 埃及 南非 巴西 阿根廷 墨西哥 智利 泰国 越南 马来西亚 印度尼西亚 菲律宾 "
        "巴基斯坦 哈萨克斯坦 蒙古 东盟 非洲 拉美 中东 "
    ).split()
)

# Places a report's title may be about: the home city of the bundled reports, and the others.
ALL_PLACES = ("上海", *PLACES)

# Shanghai's districts: a question about one district's figure is not answered by another's.
DISTRICTS = tuple("黄浦 徐汇 长宁 静安 普陀 虹口 杨浦 闵行 宝山 嘉定 浦东 金山 松江 青浦 奉贤 崇明".split())

# Every place known by name.
KNOWN_PLACES = (*ALL_PLACES, *DISTRICTS)


@cache
def place_names() -> frozenset[str]:
    """Every word jieba's dictionary tags as a place name (`ns`): 17,700 of them, read on first use (0.12 s).

    The lists above name the places a report is likely to be compared with; a question may name any
    other (六安, 加拿大, 昆士兰), and a place the reports never mention is one they cannot answer for.
    """
    import jieba  # the analyser's own dictionary: installed with it, no second gazetteer to keep

    path = Path(jieba.__file__).with_name("dict.txt")
    with path.open(encoding="utf-8") as lines:
        return frozenset(word for word, _freq, tag in (line.split()[:3] for line in lines) if tag == "ns")
