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

# Shanghai's development zones and science cities, each in one or two districts: a figure for the zone
# (`张江高新区`, `临港新片区`) is not the city's, and a passage that never names the zone gives none of its own.
ZONES = tuple("张江 临港 漕河泾 紫竹 虹桥 外高桥 洋山 金桥 大零号湾".split())

# The same places as an English question names them: the answer checks look for the Chinese name.
PLACES_EN: dict[str, str] = {
    "Beijing": "北京", "Tianjin": "天津", "Chongqing": "重庆", "Hebei": "河北", "Shanxi": "山西",
    "Liaoning": "辽宁", "Jilin": "吉林", "Heilongjiang": "黑龙江", "Jiangsu": "江苏", "Zhejiang": "浙江",
    "Anhui": "安徽", "Fujian": "福建", "Jiangxi": "江西", "Shandong": "山东", "Henan": "河南", "Hubei": "湖北",
    "Hunan": "湖南", "Guangdong": "广东", "Hainan": "海南", "Sichuan": "四川", "Guizhou": "贵州", "Yunnan": "云南",
    "Shaanxi": "陕西", "Gansu": "甘肃", "Qinghai": "青海", "Taiwan": "台湾", "Inner Mongolia": "内蒙古",
    "Guangxi": "广西", "Tibet": "西藏", "Xizang": "西藏", "Ningxia": "宁夏", "Xinjiang": "新疆",
    "Hong Kong": "香港", "Macao": "澳门", "Macau": "澳门", "Shenzhen": "深圳", "Guangzhou": "广州",
    "Hangzhou": "杭州", "Nanjing": "南京", "Suzhou": "苏州", "Wuhan": "武汉", "Chengdu": "成都", "Xi'an": "西安",
    "Xian": "西安", "Hefei": "合肥", "Xiamen": "厦门", "Qingdao": "青岛", "Ningbo": "宁波", "Wuxi": "无锡",
    "Changsha": "长沙", "Zhengzhou": "郑州", "Jinan": "济南", "Shenyang": "沈阳", "Dalian": "大连",
    "Harbin": "哈尔滨", "Changchun": "长春", "Kunming": "昆明", "Dongguan": "东莞", "Foshan": "佛山",
    "Zhuhai": "珠海", "Xiong'an": "雄安", "Xiongan": "雄安", "United States": "美国", "USA": "美国", "U.S.": "美国",
    "America": "美国", "Japan": "日本", "South Korea": "韩国", "Korea": "韩国", "Germany": "德国", "Britain": "英国",
    "United Kingdom": "英国", "UK": "英国", "France": "法国", "Russia": "俄罗斯", "India": "印度",
    "Singapore": "新加坡", "European Union": "欧盟", "EU": "欧盟", "Europe": "欧洲", "Canada": "加拿大",
    "Australia": "澳大利亚", "New Zealand": "新西兰", "Finland": "芬兰", "Sweden": "瑞典", "Switzerland": "瑞士",
    "Norway": "挪威", "Denmark": "丹麦", "Netherlands": "荷兰", "Belgium": "比利时", "Italy": "意大利",
    "Spain": "西班牙", "Portugal": "葡萄牙", "Austria": "奥地利", "Ireland": "爱尔兰", "Greece": "希腊",
    "Poland": "波兰", "Czech": "捷克", "Hungary": "匈牙利", "Israel": "以色列", "Turkey": "土耳其",
    "Türkiye": "土耳其", "Iran": "伊朗", "Saudi": "沙特", "UAE": "阿联酋", "Emirates": "阿联酋", "Egypt": "埃及",
    "South Africa": "南非", "Brazil": "巴西", "Argentina": "阿根廷", "Mexico": "墨西哥", "Chile": "智利",
    "Thailand": "泰国", "Vietnam": "越南", "Malaysia": "马来西亚", "Indonesia": "印度尼西亚",
    "Philippines": "菲律宾", "Pakistan": "巴基斯坦", "Kazakhstan": "哈萨克斯坦", "Mongolia": "蒙古",
    "ASEAN": "东盟", "Africa": "非洲", "Latin America": "拉美", "Middle East": "中东",
}

# A province's one-character name, as a pairing with Shanghai writes it (`沪滇合作` is Shanghai and
# Yunnan, `沪琼` Shanghai and Hainan).
PROVINCE_CHARACTERS: dict[str, str] = {
    "北京": "京", "天津": "津", "重庆": "渝", "河北": "冀", "山西": "晋", "辽宁": "辽", "吉林": "吉",
    "黑龙江": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣", "山东": "鲁",
    "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "海南": "琼", "四川": "川", "贵州": "黔",
    "云南": "滇", "陕西": "陕", "甘肃": "甘", "青海": "青", "台湾": "台", "内蒙古": "蒙", "广西": "桂",
    "西藏": "藏", "宁夏": "宁", "新疆": "疆", "香港": "港", "澳门": "澳",
}

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
