"""A JD (京东) POP order export of a third-party coffee shop on JD.com, one row per order line.

山隅咖啡旗舰店 is a small Shanghai coffee roaster's third-party (POP, 商家自运营) store on JD: beans, drip bags
(挂耳), freeze-dried and instant coffee, cold-brew liquid, pour-over gear and grinders, and two seasonal gift boxes.
`write_shop(dir)` writes `京东订单导出_山隅咖啡旗舰店_20240701-20260630.csv`, deterministic (seed 20260630), as the
owner gets it from 京东商家后台 > 订单管理 > 订单查询与跟踪 > 订单导出, two years up to 2026-06-30.

The layout, and why. Public scripts that read real JD POP exports agree on the header names and their order (a
Java import over the CSV with a commented sample row, "订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,
订单金额,结算金额,余额支付,应付金额,订单状态,订单类型,下单帐号,客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,
发票内容,商家备注,商家备注等级（等级1-5为由高到低）,运费金额,付款确认时间,增值税发票,货号,订单完成时间,订单来源,订单渠道,";
a Laravel importer whose fixed header list goes on with 送装服务, 服务费, 仓库id, 仓库名称, 普通发票纳税编号,
商家SKUID, 邮箱地址, 邮政编码, 是否为品牌商订单, 是否为toplife订单 and reads the file with iconv('GB2312', 'UTF-8');
a pandas script and a Java DTO over the same file). So the file is:
- GBK-encoded CSV (no BOM), CRLF line ends, and a trailing comma on every line, the header included (so a reader
  sees a 41st, nameless, empty column), as in the sample header above;
- one row per order LINE (one SKU of an order; JD keeps one row per SKU and puts the count in 订购数量), newest
  order first; the order's own fields repeat on each of its lines, money included: 订单金额 (the goods at 京东价 +
  运费金额), 结算金额 (订单金额 after the shop's 满减, coupons (东券) and 京豆: what the buyer pays), 余额支付 (the part
  paid from the buyer's JD balance), 应付金额 (结算金额 − 余额支付: the part paid online or on delivery) and
  运费金额 are ORDER-level and overcount when summed over lines. The line's only money is 京东价, the SKU's unit
  price: there is no line paid amount (a product's revenue is 京东价 × 订购数量 before order discounts, or the
  order's paid goods shared over its lines);
- 订单号 a 12-digit number; 商品ID JD's 14-digit SKU id (every variant is its own SKU with its own 商品名称, the
  long search title sellers write: "山隅咖啡 云南保山小粒咖啡豆 中度烘焙 新鲜烘焙 454g"); no category column;
- 下单帐号 (the buyer's JD login, "pin": "jd_" + 13 letters and digits for accounts made through WeChat, or a
  chosen name, sometimes Chinese, sometimes an old e-mail address) is the only buyer key: 客户姓名 ("王**") and
  联系电话 ("137****1772") are masked as JD exports them now, and 客户地址 is one string, JD's four-level address
  with the province written without 省/市/自治区 ("广东深圳市南山区粤海街道科技园路**号", "北京朝阳区三环到四环之间
  ***", "内蒙古呼和浩特市赛罕区…") and the house part masked: there is no province or city column;
- text cells in double quotes (names, addresses, phones, titles, remarks), numbers bare; money with two decimals
  ("88.00", "19.90"); dates "2026-06-18 20:03:11"; blank optional cells; 服务费 "0.00".

Statuses (订单状态): 完成 (received, confirmed by the buyer or automatically), 等待确认收货 (shipped), 等待出库 (paid,
or a cash-on-delivery order confirmed, not shipped yet), 等待付款 (created on the export day, not paid yet), 已取消
(never paid within 24 hours, a cash-on-delivery parcel refused at the door, or paid and cancelled before shipping:
a full refund; 付款确认时间 tells them apart), 锁定 (a cancellation or after-sale request pending on the export day:
its outcome is unknown). A buyer who deletes an order from her list makes it "(删除)完成" / "(删除)已取消" (as in
the sample row's "(删除)等待出库"): the same status. 支付方式 is 在线支付 or 货到付款 (cash on delivery: 付款确认时间
is the delivery time, blank before it). 订单来源: 移动端订单 (the sample's value) / 微信订单 / PC端订单 / 手Q订单;
订单渠道 暂无来源 (the sample's value) or, from March 2025, 京东直播 — the values other than the sample's are
reasoned, as are 仓库名称 (嘉定自有仓, the roaster's own; from 2025 the beans and drip bags for the south and the
north also ship from JD warehouses 京东仓-广州 / 京东仓-北京) and the invoice vocabulary.
Messy on purpose: a free gift line (京东价 0.00, "(赠品)") in big 618 / 双11 orders; 京豆 and coupons that leave
cents in 结算金额; part-balance payments; cash-on-delivery orders without a payment time; remote provinces paying
¥15 shipping; the Spring Festival shipping pause; the 454g beans going from ¥88 to ¥92 on 1 March 2026 (京东价 is the
price on the order day); buyers ordering to a second address in another province.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20260630
START = date(2024, 7, 1)
END = date(2026, 6, 30)  # the export's last day (a Tuesday)
END_AT = datetime(2026, 6, 30, 23, 59, 59)
FILE_NAME = "京东订单导出_山隅咖啡旗舰店_20240701-20260630.csv"
N_BUYERS = 5900
ENCODING = "gbk"

COLUMNS = ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "结算金额", "余额支付",
           "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注", "发票类型", "发票抬头",
           "发票内容", "商家备注", "商家备注等级（等级1-5为由高到低）", "运费金额", "付款确认时间", "增值税发票", "货号",
           "订单完成时间", "订单来源", "订单渠道", "送装服务", "服务费", "仓库id", "仓库名称", "普通发票纳税编号", "商家SKUID",
           "邮箱地址", "邮政编码", "是否为品牌商订单", "是否为toplife订单"]
QUOTED = {"商品名称", "客户姓名", "客户地址", "联系电话", "订单备注", "发票抬头", "商家备注", "下单帐号"}

# key, 商品ID, 商品名称, 京东价, 货号, family, base weight, months on sale (None: all year), first day on sale
PRODUCTS = [
    ("bs_m", "10086529143207", "山隅咖啡 云南保山小粒咖啡豆 中度烘焙 新鲜烘焙 454g", 88.0, "SY-BN01-M", "bean", 1.00, None, None),
    ("bs_d", "10086529143208", "山隅咖啡 云南保山小粒咖啡豆 深度烘焙 新鲜烘焙 454g", 88.0, "SY-BN01-D", "bean", 0.70, None, None),
    ("yj", "10086529217731", "山隅咖啡 埃塞俄比亚耶加雪菲 水洗G1 浅烘咖啡豆 227g", 98.0, "SY-BN02", "bean", 0.55, None, None),
    ("gl", "10086529217745", "山隅咖啡 哥伦比亚慧兰 中烘咖啡豆 227g", 78.0, "SY-BN03", "bean", 0.40, None, None),
    ("bx", "10086529302266", "山隅咖啡 意式拼配咖啡豆 巴西+云南 深烘油脂丰富 1kg", 158.0, "SY-BN04", "bean", 0.45, None, None),
    ("ky", "10091738455120", "山隅咖啡 肯尼亚AA 浅中烘咖啡豆 227g", 118.0, "SY-BN05", "bean", 0.25, None, date(2025, 4, 1)),
    ("ge20", "10086529388410", "山隅咖啡 挂耳咖啡 精品混合装 10g*20片", 69.0, "SY-DR01", "drip", 1.10, None, None),
    ("ge10", "10086529388411", "山隅咖啡 挂耳咖啡 耶加雪菲 10g*10片", 49.0, "SY-DR02", "drip", 0.55, None, None),
    ("ge30", "10086529388432", "山隅咖啡 挂耳咖啡 深烘醇苦 10g*30片", 89.0, "SY-DR03", "drip", 0.60, None, None),
    ("dg", "10086529460018", "山隅咖啡 冷萃冻干咖啡粉 3g*24颗", 99.0, "SY-IN01", "instant", 0.85, None, None),
    ("sr", "10086529460025", "山隅咖啡 0糖0脂 美式黑咖啡 速溶 2g*40条", 59.9, "SY-IN02", "instant", 0.75, None, None),
    ("ly", "10091738502286", "山隅咖啡 冷萃咖啡液 浓缩 25ml*14袋", 79.0, "SY-IN03", "instant", 0.60, (4, 5, 6, 7, 8, 9),
     date(2025, 4, 15)),
    ("hu", "10086529533102", "山隅 手冲咖啡壶 细口壶 304不锈钢 600ml", 139.0, "SY-EQ01", "gear", 0.30, None, None),
    ("v60", "10086529533119", "山隅 V60型陶瓷滤杯 1-4人份", 59.0, "SY-EQ02", "gear", 0.28, None, None),
    ("lz", "10086529533126", "山隅 原木色咖啡滤纸 V型 100张", 19.9, "SY-EQ03", "paper", 0.45, None, None),
    ("dm", "10086529601577", "山隅 电动磨豆机 家用小型 锥刀研磨", 299.0, "SY-EQ04", "gear", 0.16, None, None),
    ("sm", "10086529601584", "山隅 手摇磨豆机 不锈钢磨芯", 169.0, "SY-EQ05", "gear", 0.14, None, None),
    ("fy", "10086529601591", "山隅 法压壶 耐热玻璃 350ml", 69.0, "SY-EQ06", "gear", 0.15, None, None),
    ("zq", "10091738611093", "山隅咖啡 中秋礼盒 月下山隅 企业团购款", 198.0, "SY-GF01", "gift", 0.90, (8, 9), None),
    ("xn", "10091738611109", "山隅咖啡 新年手冲礼盒 3件套", 399.0, "SY-GF02", "gift", 0.55, (12, 1, 2), None),
]
PRODUCT = {p[0]: p for p in PRODUCTS}
PRICE_RISE = {"bs_m": (date(2026, 3, 1), 92.0), "bs_d": (date(2026, 3, 1), 92.0)}  # the 454g beans' new price
GIFT = ("zp", "10086529699990", "山隅 不锈钢咖啡量勺 (赠品)", 0.0, "SY-ZP01")
STOCKED_AT_JD = {"bean", "drip", "instant", "paper"}  # what JD warehouses hold from 2025
WAREHOUSES = {"east": ("41", "嘉定自有仓"), "south": ("614", "京东仓-广州"), "north": ("6", "京东仓-北京")}
JD_WAREHOUSE_FROM = date(2025, 1, 1)

# province as JD writes it: weight, region (warehouse), remote (¥15 shipping under ¥199), [(city, districts)]
# (municipalities: city "", the district follows the province directly)
GEO = {
    "广东": (0.16, "south", False, [("深圳市", ["南山区", "福田区", "宝安区", "龙华区"]), ("广州市", ["天河区", "海珠区", "番禺区"]),
                                   ("佛山市", ["南海区", "顺德区"]), ("东莞市", ["南城街道", "松山湖"])]),
    "浙江": (0.12, "east", False, [("杭州市", ["西湖区", "滨江区", "余杭区"]), ("宁波市", ["鄞州区", "海曙区"]),
                                  ("温州市", ["鹿城区"]), ("绍兴市", ["越城区", "柯桥区"])]),
    "江苏": (0.11, "east", False, [("苏州市", ["工业园区", "姑苏区"]), ("南京市", ["鼓楼区", "江宁区", "建邺区"]),
                                  ("无锡市", ["梁溪区", "滨湖区"]), ("常州市", ["武进区"])]),
    "上海": (0.10, "east", False, [("", ["浦东新区", "闵行区", "徐汇区", "静安区", "嘉定区", "杨浦区"])]),
    "北京": (0.08, "north", False, [("", ["朝阳区", "海淀区", "丰台区", "东城区", "昌平区"])]),
    "山东": (0.05, "north", False, [("青岛市", ["市南区", "崂山区"]), ("济南市", ["历下区", "槐荫区"])]),
    "四川": (0.05, "east", False, [("成都市", ["武侯区", "高新区", "锦江区"])]),
    "福建": (0.05, "south", False, [("厦门市", ["思明区", "湖里区"]), ("福州市", ["鼓楼区", "仓山区"])]),
    "湖北": (0.04, "east", False, [("武汉市", ["洪山区", "武昌区", "江汉区"])]),
    "河南": (0.03, "north", False, [("郑州市", ["金水区", "郑东新区"])]),
    "湖南": (0.03, "south", False, [("长沙市", ["岳麓区", "雨花区"])]),
    "安徽": (0.03, "east", False, [("合肥市", ["蜀山区", "包河区"])]),
    "天津": (0.02, "north", False, [("", ["南开区", "河西区", "滨海新区"])]),
    "河北": (0.02, "north", False, [("石家庄市", ["长安区"]), ("保定市", ["竞秀区"])]),
    "辽宁": (0.02, "north", False, [("沈阳市", ["和平区"]), ("大连市", ["沙河口区"])]),
    "陕西": (0.02, "north", False, [("西安市", ["雁塔区", "未央区"])]),
    "重庆": (0.02, "east", False, [("", ["渝北区", "江北区", "九龙坡区"])]),
    "广西": (0.015, "south", False, [("南宁市", ["青秀区"])]),
    "云南": (0.015, "south", False, [("昆明市", ["五华区", "官渡区"])]),
    "江西": (0.015, "south", False, [("南昌市", ["红谷滩区", "青山湖区"])]),
    "海南": (0.006, "south", False, [("海口市", ["龙华区"])]),
    "黑龙江": (0.008, "north", False, [("哈尔滨市", ["南岗区"])]),
    "内蒙古": (0.005, "north", True, [("呼和浩特市", ["赛罕区"])]),
    "新疆": (0.004, "north", True, [("乌鲁木齐市", ["天山区"])]),
    "宁夏": (0.002, "north", True, [("银川市", ["金凤区"])]),
    "西藏": (0.001, "north", True, [("拉萨市", ["城关区"])]),
}
TOWNS = ["街道", "镇"]
TOWN_NAMES = ["科技园", "新城", "中心", "城东", "城西", "高新", "长安", "东湖", "滨江", "城南", "金桥", "城北"]
ROADS = ["科技园路", "文一西路", "建设路", "人民路", "解放路", "中山路", "学院路", "长江路", "新华路", "东风路", "和平路",
         "幸福路", "光明路", "金沙路", "华山路", "黄河路"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈")
PINYIN = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu",
          "guo", "lin", "luo", "gao", "zheng", "xie", "song", "tang", "han", "feng", "deng", "cao", "peng", "zeng"]
GIVEN_PY = ["wei", "jing", "min", "ting", "xue", "fang", "na", "ying", "lin", "qian", "chen", "xin", "yi", "yue", "jia",
            "lei", "jun", "yang", "yong", "jie", "tao", "ming", "chao", "hui", "peng", "hao", "kai",
            "xiaomeng", "yuxuan"]
WORDS = ["coffee", "latte", "mocha", "sunny", "lucky", "happy", "tiger", "panda", "moon", "star", "cat", "fish",
         "bear", "kiki", "coco", "jerry", "tom", "amy", "echo", "vivi"]
CN_PINS = ["林间小鹿", "咖啡不加糖", "早起的鸟儿", "南风知我意", "一杯美式", "慢慢来", "山海间", "橘子汽水", "小熊饼干",
           "夏天的风", "向日葵", "半糖主义", "月亮不睡", "打工人阿强", "云朵上的猫"]
MAIL = ["163.com", "126.com", "qq.com", "sina.com", "hotmail.com"]
PHONE_HEADS = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
               "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "185", "186", "187", "188",
               "189", "191", "193", "199"]
BUYER_NOTES = ["帮忙磨成粉，手冲用", "磨成意式细粉，谢谢", "不要放发票", "尽快发货", "送人的，不要放价格单", "周末送货",
               "请检查一下包装，上次压坏了", "烘焙日期要最新的"]
SELLER_NOTES = ["已磨粉-手冲", "已磨粉-意式", "客户要求顺丰到付", "老客户 送挂耳2片", "地址已改", "补发滤纸1包",
                "送礼 不放价格单"]
COMPANIES = ["上海云帆信息科技有限公司", "杭州栖木文化传播有限公司", "深圳市启点网络科技有限公司", "北京青禾咨询有限公司",
             "苏州恒远精密机械有限公司", "广州南岭贸易有限公司"]

PROMOS = {  # name: spans
    "618": [(date(2025, 5, 28), date(2025, 6, 18)), (date(2026, 5, 28), date(2026, 6, 18))],
    "双11": [(date(2024, 10, 24), date(2024, 11, 11)), (date(2025, 10, 24), date(2025, 11, 11))],
    "年货节": [(date(2025, 1, 6), date(2025, 1, 20)), (date(2026, 1, 26), date(2026, 2, 8))],
}
SPRING_PAUSE = [(date(2025, 1, 24), date(2025, 2, 5)), (date(2026, 2, 12), date(2026, 2, 24))]
LIVE_FROM = date(2025, 3, 1)
MONTH_FACTOR = {1: 1.05, 2: 0.75, 3: 0.95, 4: 0.95, 5: 1.0, 6: 1.1, 7: 0.85, 8: 0.9, 9: 1.15, 10: 1.1, 11: 1.3,
                12: 1.15}


def promo(d: date) -> str | None:
    for name, spans in PROMOS.items():
        if any(a <= d <= b for a, b in spans):
            return name
    return None


def money(v: float) -> str:
    return f"{round(v + 0.0, 2):.2f}"


def _day_weights() -> tuple[list[date], np.ndarray]:
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    w = []
    for d in days:
        f = MONTH_FACTOR[d.month] * (0.7 + 0.7 * (d - START).days / (END - START).days)
        p = promo(d)
        if p == "618":
            f *= 3.0 if d.day == 18 else 1.5
        elif p == "双11":
            f *= 3.2 if d.day == 11 else 1.5
        elif p:
            f *= 1.3
        if any(a <= d <= b for a, b in SPRING_PAUSE):
            f *= 0.4
        w.append(f)
    w = np.array(w)
    return days, w / w.sum()


def _pick(rng, items, weights):
    w = np.asarray(weights, dtype=float)
    return items[rng.choice(len(items), p=w / w.sum())]


def _pin(rng, used: set[str]) -> str:
    while True:
        r = rng.rand()
        if r < 0.46:
            pin = "jd_" + "".join(rng.choice(list("abcdef0123456789"), 13))
        elif r < 0.86:
            kind = rng.randint(3)
            if kind == 0:
                pin = (PINYIN[rng.randint(len(PINYIN))] + GIVEN_PY[rng.randint(len(GIVEN_PY))]
                       + str(rng.randint(1970, 2005)))
            elif kind == 1:
                pin = WORDS[rng.randint(len(WORDS))] + "_" + PINYIN[rng.randint(len(PINYIN))] + str(rng.randint(1, 999))
            else:
                pin = PINYIN[rng.randint(len(PINYIN))] + GIVEN_PY[rng.randint(len(GIVEN_PY))] + str(rng.randint(10, 99))
        elif r < 0.96:
            pin = CN_PINS[rng.randint(len(CN_PINS))] + str(rng.randint(1, 9999))
        else:
            pin = (PINYIN[rng.randint(len(PINYIN))] + GIVEN_PY[rng.randint(len(GIVEN_PY))] + str(rng.randint(1, 999))
                   + "@" + MAIL[rng.randint(len(MAIL))])
        if pin not in used:
            used.add(pin)
            return pin


def _address(rng, province: str | None = None) -> dict:
    provs = list(GEO)
    if province is None:
        province = _pick(rng, provs, [GEO[p][0] for p in provs])
    _, region, remote, cities = GEO[province]
    city, districts = cities[rng.randint(len(cities))]
    district = districts[rng.randint(len(districts))]
    if province == "北京" and rng.rand() < 0.5:
        town = ["三环到四环之间", "四环到五环之间", "五环以外"][rng.randint(3)]
    else:
        town = TOWN_NAMES[rng.randint(len(TOWN_NAMES))] + TOWNS[rng.randint(len(TOWNS))]
    detail = ROADS[rng.randint(len(ROADS))] + "**号" + ("" if rng.rand() < 0.5 else "**栋***室")
    return {"province": province, "region": region, "remote": remote,
            "text": f"{province}{city}{district}{town}{detail}"}


def _buyers(rng, days, weights) -> list[dict]:
    used: set[str] = set()
    buyers = []
    for _ in range(N_BUYERS):
        first = days[rng.choice(len(days), p=weights)]
        r = rng.rand()
        kind = "once" if r < 0.58 else "sometimes" if r < 0.88 else "regular"
        home = _address(rng)
        second = _address(rng) if rng.rand() < 0.18 else None
        taste = rng.dirichlet([2.0, 1.6, 1.4])  # bean, drip, instant
        src = rng.rand()
        source = ("移动端订单" if src < 0.68 else "微信订单" if src < 0.84 else "PC端订单" if src < 0.95 else "手Q订单")
        buyers.append({
            "pin": _pin(rng, used), "first": first, "kind": kind, "home": home, "second": second, "taste": taste,
            "source": source, "cod": rng.rand() < 0.07 and not home["remote"],
            "name": SURNAMES[rng.randint(len(SURNAMES))] + "**",
            "phone": PHONE_HEADS[rng.randint(len(PHONE_HEADS))] + "****" + f"{rng.randint(0, 10000):04d}",
            "company": COMPANIES[rng.randint(len(COMPANIES))] if rng.rand() < 0.06 else None,
            "invoice": rng.rand() < 0.6, "owned": set(), "live": rng.rand() < 0.12,
        })
    return buyers


def _order_days(rng, b) -> list[date]:
    out = [b["first"]]
    cont = {"once": 0.06, "sometimes": 0.5, "regular": 0.84}[b["kind"]]
    mean_gap = {"once": 150.0, "sometimes": 95.0, "regular": 38.0}[b["kind"]]
    d = b["first"]
    while rng.rand() < cont:
        d = d + timedelta(days=int(1 + rng.gamma(2.0, mean_gap / 2.0)))
        if d > END:
            break
        out.append(d)
    return out


def _clock(rng, d: date) -> datetime:
    hours = np.array([2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 5, 5, 5, 5, 5, 5, 6, 8, 10, 10, 6], dtype=float)
    h = rng.choice(24, p=hours / hours.sum())
    return datetime(d.year, d.month, d.day) + timedelta(seconds=int(h) * 3600 + int(rng.randint(0, 3600)))


def _lines(rng, b, d: date, nth: int) -> list[dict]:
    n = int(_pick(rng, [1, 2, 3, 4], [0.66, 0.23, 0.08, 0.03]))
    chosen: list[str] = []
    for _ in range(n):
        keys, w = [], []
        for key, _, _, _, _, family, base, months, since in PRODUCTS:
            if key in chosen or (months and d.month not in months) or (since and d < since):
                continue
            f = base
            if family == "bean":
                f *= 0.6 + 2.0 * b["taste"][0]
            elif family == "drip":
                f *= 0.6 + 2.0 * b["taste"][1]
            elif family == "instant":
                f *= 0.6 + 2.0 * b["taste"][2]
            elif family == "gear":
                f *= 0.15 if key in b["owned"] else (1.4 if nth == 0 else 0.6)
            elif family == "paper":
                f *= 3.0 if "hu" in b["owned"] or "v60" in b["owned"] else 0.35
            elif family == "gift":
                f *= 1.0 if nth == 0 or b["company"] else 0.5
            keys.append(key)
            w.append(f)
        key = _pick(rng, keys, w)
        chosen.append(key)
    out = []
    for key in chosen:
        p = PRODUCT[key]
        qty = 1 if rng.rand() < 0.85 else (2 if rng.rand() < 0.8 else 3)
        if p[5] == "gift" and b["company"] and rng.rand() < 0.5:
            qty = int(rng.choice([5, 10, 20, 30]))  # company gift orders
        if p[5] == "paper" and rng.rand() < 0.3:
            qty += 1
        price = PRICE_RISE[key][1] if key in PRICE_RISE and d >= PRICE_RISE[key][0] else p[3]
        out.append({"key": key, "id": p[1], "name": p[2], "price": price, "code": p[4], "family": p[5], "qty": qty})
    return out


def _order(rng, b, when: datetime, nth: int) -> dict:
    d = when.date()
    lines = _lines(rng, b, d, nth)
    for ln in lines:
        if ln["family"] == "gear":
            b["owned"].add(ln["key"])
    goods = round(sum(ln["price"] * ln["qty"] for ln in lines), 2)
    p = promo(d)
    if p in ("618", "双11") and goods >= 199:
        lines.append({"key": GIFT[0], "id": GIFT[1], "name": GIFT[2], "price": GIFT[3], "code": GIFT[4],
                      "family": "freebie", "qty": 1})
    addr = b["second"] if b["second"] is not None and rng.rand() < 0.3 else b["home"]
    cod = b["cod"] and rng.rand() < 0.85 and not addr["remote"]
    if addr["remote"]:
        shipping = 0.0 if goods >= 199 else 15.0
    else:
        shipping = 0.0 if goods >= 99 else 8.0
    discount = 0.0
    if p in ("618", "双11"):
        discount += 40.0 if goods >= 299 else 20.0 if goods >= 199 else 0.0
    elif p == "年货节" and goods >= 199:
        discount += 20.0
    if goods >= 99 and rng.rand() < 0.08:
        discount += 10.0  # 东券
    if not cod and rng.rand() < 0.12:
        discount += float(rng.randint(1, 6))  # 京豆
    if goods >= 500 and b["company"]:
        discount += round(goods * 0.05, 2)  # 企业团购 price reduction (改价)
    total = round(goods + shipping, 2)
    settle = round(max(total - discount, 0.0), 2)
    balance = 0.0
    if not cod and rng.rand() < 0.06:
        balance = round(min(settle, float(rng.uniform(5, 160))), 2)
    wh_region = addr["region"]
    if d < JD_WAREHOUSE_FROM or wh_region == "east" or any(ln["family"] not in STOCKED_AT_JD | {"freebie"}
                                                            for ln in lines):
        wh_region = "east"
    invoice = b["invoice"] or b["company"] is not None
    vat = b["company"] is not None and rng.rand() < 0.3
    source = b["source"]
    if source in ("PC端订单", "手Q订单") and rng.rand() < (d - START).days / 1200:
        source = "移动端订单"  # PC and QQ fade away
    channel = "京东直播" if d >= LIVE_FROM and (b["live"] and rng.rand() < 0.6) and source == "移动端订单" else "暂无来源"
    remark = SELLER_NOTES[rng.randint(len(SELLER_NOTES))] if rng.rand() < 0.035 else ""
    return {
        "when": when, "lines": lines, "buyer": b, "addr": addr, "cod": cod, "goods": goods, "shipping": shipping,
        "total": total, "settle": settle, "balance": balance, "warehouse": WAREHOUSES[wh_region],
        "invoice_type": ("增值税专用发票" if vat else "电子普通发票") if invoice else "",
        "invoice_title": (b["company"] if b["company"] else "个人") if invoice else "",
        "invoice_content": "商品明细" if invoice else "", "vat": "是" if vat else "",
        "tax_no": (("91310114MA1G" + "".join(str(x) for x in rng.randint(0, 10, 6)))
                   if invoice and b["company"] and not vat else ""),
        "source": source, "channel": channel,
        "note": BUYER_NOTES[rng.randint(len(BUYER_NOTES))] if rng.rand() < 0.05 else "",
        "remark": remark, "remark_level": str(rng.randint(1, 6)) if remark and rng.rand() < 0.7 else "",
    }


def _after_pause(t: datetime) -> datetime:
    for a, b in SPRING_PAUSE:
        if a <= t.date() <= b:
            return datetime(b.year, b.month, b.day, 10) + timedelta(days=1, minutes=int(t.minute))
    return t


def _settle(rng, o: dict) -> None:
    """Payment, shipping, cancellation and the status at the export."""
    when = o["when"]
    o.update(paid_at=None, done_at=None, status="")
    if o["cod"]:
        ship = _after_pause(when + timedelta(hours=float(rng.uniform(6, 40))))
        if ship > END_AT:
            o["status"] = "等待出库"
            return
        arrive = ship + timedelta(hours=float(rng.uniform(20, 90)))
        if arrive > END_AT:
            o["status"] = "等待确认收货"
            return
        if rng.rand() < 0.06:  # refused at the door
            o["status"] = "已取消"
            return
        o.update(paid_at=arrive, done_at=arrive + timedelta(minutes=int(rng.randint(1, 30))), status="完成")
        if o["done_at"] > END_AT:
            o["done_at"], o["status"] = None, "等待确认收货"
        return
    if when > END_AT - timedelta(hours=3) and rng.rand() < 0.2:  # created in the export's last hours, not paid yet
        o["status"] = "等待付款"
        return
    if rng.rand() < 0.035:  # never paid
        o["status"] = "等待付款" if when > END_AT - timedelta(hours=24) else "已取消"
        return
    paid = min(when + timedelta(seconds=int(rng.randint(10, 900))), END_AT)
    o["paid_at"] = paid
    recent = (END_AT - paid).days < 10
    if recent and rng.rand() < 0.03:
        o["status"] = "锁定"  # a cancellation or after-sale request pending
        return
    if rng.rand() < 0.028:  # paid, then cancelled before shipping: a full refund
        if paid + timedelta(hours=30) > END_AT:
            o["status"] = "锁定"
        else:
            o["status"] = "已取消"
        return
    ship = _after_pause(paid + timedelta(hours=float(rng.uniform(4, 44))))
    if ship > END_AT:
        o["status"] = "等待出库"
        return
    confirm = ship + timedelta(days=float(rng.uniform(2.5, 10)))
    if confirm > END_AT:
        o["status"] = "等待确认收货"
        return
    o.update(done_at=confirm, status="完成")


def write_shop(directory: str | Path) -> Path:
    """Write the export into `directory`; return its path."""
    rng = np.random.RandomState(SEED)
    days, weights = _day_weights()
    buyers = _buyers(rng, days, weights)
    orders: list[dict] = []
    for b in buyers:
        for nth, d in enumerate(_order_days(rng, b)):
            orders.append(_order(rng, b, _clock(rng, d), nth))
    orders.sort(key=lambda o: o["when"])
    number = 282_614_000_000
    for o in orders:
        _settle(rng, o)
        if o["status"] in ("完成", "已取消") and rng.rand() < (0.03 if o["status"] == "完成" else 0.1):
            o["status"] = "(删除)" + o["status"]
        number += int(rng.randint(3_000, 90_000))  # JD's order numbers grow with every order on the site
        o["number"] = str(number)
    rows = []
    for o in sorted(orders, key=lambda o: o["when"], reverse=True):
        b = o["buyer"]
        for ln in o["lines"]:
            rows.append({
                "订单号": o["number"], "商品ID": ln["id"], "商品名称": ln["name"], "订购数量": str(ln["qty"]),
                "支付方式": "货到付款" if o["cod"] else "在线支付", "下单时间": o["when"].strftime("%Y-%m-%d %H:%M:%S"),
                "京东价": money(ln["price"]), "订单金额": money(o["total"]), "结算金额": money(o["settle"]),
                "余额支付": money(o["balance"]), "应付金额": money(o["settle"] - o["balance"]), "订单状态": o["status"],
                "订单类型": "销售订单", "下单帐号": b["pin"], "客户姓名": b["name"], "客户地址": o["addr"]["text"],
                "联系电话": b["phone"], "订单备注": o["note"], "发票类型": o["invoice_type"], "发票抬头": o["invoice_title"],
                "发票内容": o["invoice_content"], "商家备注": o["remark"],
                "商家备注等级（等级1-5为由高到低）": o["remark_level"], "运费金额": money(o["shipping"]),
                "付款确认时间": o["paid_at"].strftime("%Y-%m-%d %H:%M:%S") if o["paid_at"] else "", "增值税发票": o["vat"],
                "货号": ln["code"],
                "订单完成时间": o["done_at"].strftime("%Y-%m-%d %H:%M:%S") if o["done_at"] else "",
                "订单来源": o["source"], "订单渠道": o["channel"], "送装服务": "", "服务费": "0.00",
                "仓库id": o["warehouse"][0], "仓库名称": o["warehouse"][1], "普通发票纳税编号": o["tax_no"],
                "商家SKUID": ln["code"] + "-" + ln["id"][-4:], "邮箱地址": "", "邮政编码": "",
                "是否为品牌商订单": "否", "是否为toplife订单": "否",
            })
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME

    def cell(col: str, value: str) -> str:
        if col in QUOTED and value != "":
            return '"' + value.replace('"', '""') + '"'
        return value

    with open(path, "w", encoding=ENCODING, newline="") as fh:
        fh.write(",".join(COLUMNS) + ",\r\n")
        for r in rows:
            fh.write(",".join(cell(c, r[c]) for c in COLUMNS) + ",\r\n")
    return path


if __name__ == "__main__":
    import sys

    print(write_shop(sys.argv[1] if len(sys.argv) > 1 else "."))
