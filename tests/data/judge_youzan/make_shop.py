"""A Youzan (有赞) order export, item level (商品维度), of a Chinese WeChat mini-program shop for baby & kids clothes.

棉小芽童装 is a small Hangzhou brand of baby and children's clothing (连体衣, 和尚服, T恤, 卫衣, 羽绒服, 睡袋, 袜子…)
that sells through its WeChat mini-program on Youzan, its own live streams (from March 2025), a handful of
distributors (分销员, mums who share the shop for a commission) and, less and less, the old 公众号 H5 shop.
`write_shop(dir)` writes `有赞订单导出_商品维度_20240601-20260531.csv`, deterministic (seed 20260531), as the owner
gets it from 有赞微商城 > 订单 > 订单查询 > 导出 > "商品维度" report with the order fields she ticked in 自定义报表字段.

The layout, and why. Public scripts that read real Youzan exports show the header names (a baby-goods brand's pandas
report over its "商品维度订单表（自定义）" CSV, which strips '\t' from every cell and keys buyers by 买家手机号; an
import script over the "订单维度" report; a PHP generator imitating the 商品维度 header); where nothing public
shows a field (订单来源, 会员等级), it is reasoned. So the file is:
- one row per item line (商品维度), newest order first; the order's own fields repeat on every line of the order,
  money ones included: 运费 and 订单实付金额 (goods after discounts + shipping, what the buyer paid) are ORDER-level
  and overcount when summed over lines;
- in Youzan's own header names rather than the short ones people say: 订单创建时间 (the back office's 下单时间,
  "2025-03-05 14:22:07"), 买家付款时间 (付款时间; blank when never paid), 商品规格 (规格: "颜色:浅粉;尺码:90cm",
  "尺码:均码", or blank for goods without a variant), 规格编码 / 商品编码, 商品单价 (list price), 商品优惠方式
  (限时折扣 / 拼团 / blank), 商品优惠后价格, 商品金额小计 (优惠后价格 × 数量), 店铺优惠（分摊） (the order's coupon
  shared over its lines by value; with the two before, what people call 商品优惠), 商品实际成交金额 (商品实付金额: the
  line's paid goods, 小计 − 店铺优惠), 商品退款状态 / 商品已退款金额 (refunds are per LINE in Youzan), 收货人/提货人,
  收货人手机号/提货人手机号 (收货人手机), 收货人省份 ("广东省"; municipalities "上海市"), 收货人城市, 收货人地区 (区县),
  详细收货地址/提货地址 (the street part), 买家备注 (买家留言), 商家订单备注; and the fields the shop ticked in
  自定义报表字段: 订单类型 (普通订单 / 拼团订单), 订单来源 (微信小程序 / 直播 / 分销 / 公众号H5), 买家昵称 (the WeChat
  nickname), 买家手机号 (the customer key: a Youzan shop knows a buyer by the phone bound to her account; exported
  in clear by the owner's account, which has the permission), 会员等级 (the buyer's level at export time: 普通会员 /
  银卡会员 / 金卡会员 / 钻石会员 by lifetime spend, blank for non-members), 商品类目 (the shop's category),
  分销员昵称 (分销员), 商品发货物流公司 / 商品发货物流单号;
- numeric-looking identifiers (the two phone columns, numeric tracking numbers) written with a leading TAB, as
  Youzan does so that Excel keeps them as text; order numbers are Youzan's "E" + creation time + 9 digits
  (E20250305142207012345678);
- UTF-8 with a BOM (Youzan's CSV download; GBK is what the Tmall judge tests), CRLF line ends;
- money as plain numbers with two decimals ("128.00"); optional cells blank (no coupon, no refund, no distributor,
  no member level, no remark, not shipped yet).

Order statuses (订单状态, order level): 交易成功 (received, or confirmed automatically 7 days after shipping), 已发货
(shipped, not yet confirmed), 待发货 (paid, not shipped at the export time), 待付款 (created in the export day's
last hour and a half, not paid yet), 交易关闭 (never paid: abandoned checkouts, often minutes before the same
buyer's paid twin; or paid and then refunded in full). 退款成功 is not an order status in Youzan but a line's
商品退款状态: 退款成功 (商品已退款金额 = the line's 商品实际成交金额; an order whose every line is refunded is 交易关闭),
退款中 (requested in the last ten days, not settled), 退款关闭 (a request withdrawn or refused: the sale stands).
Messy on purpose: seven TEST orders by the owner and her operator ("测试商品 请勿拍下", ¥0.01, 商家订单备注 "测试单
勿发货"); buyers who change their WeChat nickname under one phone, and about one line in eight showing WeChat's
default "微信用户" (so a nickname is not a customer key); ~1.5% of lines with no 买家手机号 (a buyer who never bound a
phone); gifts shipped to grandparents (another 收货人, phone and often province); emoji in nicknames and remarks;
sizes that follow each child's age (a family's orders move from 66cm to 73cm to 90cm…); promotions (618, 双11,
双12, 年货节: 限时折扣 and 满减 coupons; a 新人券 on some first orders; 拼团); free shipping from ¥99 (¥8 below; ¥15
to Xinjiang / Inner Mongolia under ¥199); the Spring Festival logistics pause; the shop's growth.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20260531
START = date(2024, 6, 1)
END = date(2026, 5, 31)  # the last day of the export (a Sunday)
END_AT = datetime(2026, 5, 31, 23, 59, 59)
FILE_NAME = "有赞订单导出_商品维度_20240601-20260531.csv"
N_BUYERS = 5600

COLUMNS = ["订单号", "订单类型", "订单状态", "订单创建时间", "买家付款时间", "订单来源", "买家昵称", "买家手机号",
           "会员等级", "商品名称", "商品类目", "商品规格", "规格编码", "商品编码", "商品单价", "商品优惠方式",
           "商品优惠后价格", "商品数量", "商品金额小计", "店铺优惠（分摊）", "商品实际成交金额", "运费", "订单实付金额",
           "商品退款状态", "商品已退款金额", "收货人/提货人", "收货人手机号/提货人手机号", "收货人省份", "收货人城市",
           "收货人地区", "详细收货地址/提货地址", "买家备注", "分销员昵称", "商品发货物流公司", "商品发货物流单号",
           "商家订单备注"]

# key, 商品名称, 商品类目, 商品编码, colours ([] = none), sizes ([] = none), base price, weight, months sold (None = all
# year), first day on sale
BABY = ["59cm", "66cm", "73cm", "80cm"]
KID = ["90cm", "100cm", "110cm", "120cm", "130cm"]
PRODUCTS = [
    ("lt", "棉小芽 婴儿纯棉连体衣 长袖哈衣", "连体衣", "MXY-LT01", ["奶白", "浅粉", "雾蓝"], BABY, 79.0, 0.10, None, None),
    ("hs", "新生儿和尚服两件套 A类纯棉", "套装", "MXY-HS02", ["奶白", "浅黄"], ["52cm", "59cm", "66cm"], 69.0, 0.06,
     None, None),
    ("pf", "宝宝爬服 竹纤维短袖连体衣", "连体衣", "MXY-PF03", ["浅绿", "浅粉", "雾蓝"], ["66cm", "73cm", "80cm", "90cm"],
     69.0, 0.07, (4, 5, 6, 7, 8, 9), None),
    ("tx", "儿童纯棉短袖T恤 卡通印花", "上衣", "MXY-TX04", ["白色", "黄色", "蓝色", "粉色"], KID, 59.0, 0.09,
     (4, 5, 6, 7, 8, 9), None),
    ("lyq", "女童碎花连衣裙 夏款", "裙装", "MXY-LYQ05", ["粉色", "紫色"], KID, 129.0, 0.04, (5, 6, 7, 8), None),
    ("dk", "男童纯棉休闲短裤", "裤装", "MXY-DK06", ["卡其色", "藏青色", "灰色"], KID, 49.0, 0.05, (5, 6, 7, 8), None),
    ("fwk", "儿童防蚊裤 薄款灯笼裤", "裤装", "MXY-FWK07", ["灰色", "浅粉", "蓝色"], ["73cm", "80cm"] + KID[:3], 45.0,
     0.05, (5, 6, 7, 8, 9), None),
    ("wy", "儿童连帽卫衣 春秋款", "上衣", "MXY-WY08", ["红色", "灰色", "藏青色"], ["80cm"] + KID, 99.0, 0.06,
     (2, 3, 4, 5, 9, 10, 11), None),
    ("yrf", "儿童轻薄羽绒服 90白鸭绒", "外套", "MXY-YRF09", ["红色", "藏青色", "粉色"], KID, 299.0, 0.05,
     (11, 12, 1, 2), None),
    ("jm", "婴儿夹棉外套 秋冬款", "外套", "MXY-JM10", ["奶白", "雾蓝"], ["66cm", "73cm", "80cm", "90cm", "100cm"],
     159.0, 0.04, (10, 11, 12, 1, 2), None),
    ("qy", "儿童秋衣秋裤套装 纯棉", "家居睡袋", "MXY-QY11", ["条纹蓝", "条纹粉", "奶白"], ["80cm"] + KID, 89.0, 0.06,
     (9, 10, 11, 12, 1, 2, 3), None),
    ("sd", "宝宝睡袋 四季款 分腿式", "家居睡袋", "MXY-SD12", ["奶白", "浅粉", "雾蓝"], ["73cm", "90cm", "110cm"], 159.0,
     0.04, None, None),
    ("sy", "儿童莫代尔睡衣套装 长袖", "家居睡袋", "MXY-SY13", ["粉色", "蓝色", "黄色"], KID, 119.0, 0.04,
     (3, 4, 5, 9, 10, 11), None),
    ("wz", "宝宝中筒防滑袜 5双装", "配件", "MXY-WZ14", [], ["S(0-1岁)", "M(1-3岁)", "L(3-5岁)"], 39.0, 0.07, None,
     None),
    ("mz", "婴儿纯棉胎帽", "配件", "MXY-MZ15", ["奶白", "浅粉", "蓝色"], ["均码"], 29.0, 0.03, None, None),
    ("yfm", "儿童防晒渔夫帽", "配件", "MXY-YFM16", ["黄色", "粉色", "白色"], ["均码"], 49.0, 0.03, (4, 5, 6, 7, 8), None),
    ("ks", "宝宝纯棉口水巾 6条装", "配件", "MXY-KS17", [], [], 35.0, 0.04, None, None),
    ("lh", "新生儿礼盒 满月见面礼 11件套", "礼盒", "MXY-LH18", [], [], 268.0, 0.03, None, None),
    ("nzk", "儿童弹力牛仔裤 秋冬款", "裤装", "MXY-NZK19", ["浅蓝", "深蓝"], KID, 89.0, 0.04, (9, 10, 11, 12, 1, 2, 3),
     None),
    ("ddk", "女童加绒打底裤", "裤装", "MXY-DDK20", ["黑色", "粉色", "灰色"], KID, 45.0, 0.04, (10, 11, 12, 1, 2), None),
    ("tz", "男童夏季套装 短袖T恤+短裤", "套装", "MXY-TZ21", ["蓝色", "绿色"], KID, 99.0, 0.04, (5, 6, 7, 8), None),
    ("cfy", "儿童三合一冲锋衣", "外套", "MXY-CFY22", ["红色", "蓝色"], KID[1:], 239.0, 0.04,
     (9, 10, 11, 12, 1, 2, 3), date(2025, 9, 1)),
]
PRODUCT = {p[0]: p for p in PRODUCTS}
GROUP_BUY = ("wz", "tx", "ks")  # 拼团 items
SIZE_CODE = {"S(0-1岁)": "S", "M(1-3岁)": "M", "L(3-5岁)": "L", "均码": "F"}
COLOUR_CODE = {"奶白": "NB", "浅粉": "QF", "雾蓝": "WL", "浅黄": "QH", "浅绿": "QL", "白色": "BS", "黄色": "HS",
               "蓝色": "LS", "粉色": "FS", "紫色": "ZS", "卡其色": "KQ", "藏青色": "ZQ", "灰色": "HU", "红色": "HO",
               "条纹蓝": "TL", "条纹粉": "TF", "浅蓝": "QB", "深蓝": "SL", "黑色": "HE", "绿色": "LV"}

# province: weight, remote (¥15 shipping under ¥199), [(city, weight, [districts])]
GEO = {
    "广东省": (0.17, False, [("深圳市", 0.36, ["南山区", "福田区", "宝安区", "龙岗区", "龙华区"]),
                           ("广州市", 0.32, ["天河区", "海珠区", "番禺区", "白云区", "越秀区"]),
                           ("佛山市", 0.12, ["南海区", "顺德区", "禅城区"]), ("东莞市", 0.10, ["南城街道", "东城街道", "松山湖"]),
                           ("珠海市", 0.05, ["香洲区", "金湾区"]), ("惠州市", 0.05, ["惠城区", "惠阳区"])]),
    "浙江省": (0.13, False, [("杭州市", 0.42, ["西湖区", "滨江区", "余杭区", "拱墅区", "萧山区"]),
                           ("宁波市", 0.20, ["鄞州区", "海曙区"]), ("温州市", 0.14, ["鹿城区", "瓯海区"]),
                           ("绍兴市", 0.12, ["越城区", "柯桥区"]), ("金华市", 0.12, ["婺城区", "义乌市"])]),
    "江苏省": (0.11, False, [("苏州市", 0.32, ["工业园区", "姑苏区", "吴中区"]), ("南京市", 0.30, ["鼓楼区", "江宁区", "建邺区"]),
                           ("无锡市", 0.16, ["梁溪区", "滨湖区"]), ("常州市", 0.11, ["天宁区", "武进区"]),
                           ("南通市", 0.11, ["崇川区"])]),
    "上海市": (0.08, False, [("上海市", 1.0, ["浦东新区", "闵行区", "徐汇区", "宝山区", "松江区", "静安区"])]),
    "北京市": (0.06, False, [("北京市", 1.0, ["朝阳区", "海淀区", "丰台区", "通州区", "昌平区"])]),
    "山东省": (0.06, False, [("青岛市", 0.35, ["市南区", "崂山区"]), ("济南市", 0.35, ["历下区", "槐荫区"]),
                           ("烟台市", 0.15, ["芝罘区"]), ("潍坊市", 0.15, ["奎文区"])]),
    "四川省": (0.05, False, [("成都市", 0.85, ["武侯区", "高新区", "锦江区", "双流区"]), ("绵阳市", 0.15, ["涪城区"])]),
    "福建省": (0.05, False, [("厦门市", 0.40, ["思明区", "湖里区"]), ("福州市", 0.35, ["鼓楼区", "仓山区"]),
                           ("泉州市", 0.25, ["丰泽区", "晋江市"])]),
    "湖北省": (0.04, False, [("武汉市", 0.85, ["洪山区", "武昌区", "江汉区"]), ("宜昌市", 0.15, ["西陵区"])]),
    "河南省": (0.04, False, [("郑州市", 0.8, ["金水区", "二七区", "郑东新区"]), ("洛阳市", 0.2, ["洛龙区"])]),
    "湖南省": (0.035, False, [("长沙市", 0.85, ["岳麓区", "雨花区", "开福区"]), ("株洲市", 0.15, ["天元区"])]),
    "安徽省": (0.03, False, [("合肥市", 0.8, ["蜀山区", "包河区"]), ("芜湖市", 0.2, ["镜湖区"])]),
    "河北省": (0.025, False, [("石家庄市", 0.6, ["长安区", "裕华区"]), ("保定市", 0.4, ["竞秀区"])]),
    "陕西省": (0.02, False, [("西安市", 1.0, ["雁塔区", "未央区", "长安区"])]),
    "重庆市": (0.02, False, [("重庆市", 1.0, ["渝北区", "江北区", "九龙坡区"])]),
    "天津市": (0.015, False, [("天津市", 1.0, ["南开区", "河西区", "滨海新区"])]),
    "辽宁省": (0.015, False, [("沈阳市", 0.5, ["和平区", "浑南区"]), ("大连市", 0.5, ["沙河口区", "甘井子区"])]),
    "江西省": (0.015, False, [("南昌市", 1.0, ["红谷滩区", "东湖区"])]),
    "广西壮族自治区": (0.015, False, [("南宁市", 0.7, ["青秀区", "西乡塘区"]), ("桂林市", 0.3, ["七星区"])]),
    "云南省": (0.01, False, [("昆明市", 1.0, ["五华区", "官渡区"])]),
    "黑龙江省": (0.008, False, [("哈尔滨市", 1.0, ["南岗区", "道里区"])]),
    "新疆维吾尔自治区": (0.004, True, [("乌鲁木齐市", 1.0, ["天山区", "沙依巴克区"])]),
    "内蒙古自治区": (0.005, True, [("呼和浩特市", 1.0, ["赛罕区", "新城区"])]),
}
ROADS = ["科技园路", "文一西路", "建设路", "人民路", "解放路", "中山路", "学院路", "滨江大道", "长江路", "新华路",
         "东风路", "和平路", "南京路", "幸福路", "光明路", "金沙路", "华山路", "黄河路"]
ESTATES = ["阳光花园", "金地名京", "万科城", "碧桂园", "保利香槟", "绿城桂花园", "翠苑小区", "华润城", "龙湖天街",
           "中海国际", "世纪花园", "锦绣江南", "星河湾", "融创玖樟台", "东方明珠苑", "荣盛锦绣"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈")
GIVEN = ["静", "丽", "敏", "婷", "雪", "芳", "娜", "颖", "琳", "倩", "晨", "欣", "怡", "悦", "佳", "雯", "洁", "蕾", "璐",
         "萌", "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "辉", "鹏", "华", "飞", "宇", "浩", "凯", "昊"]
BABY_NAMES = ["糖糖", "豆豆", "安安", "乐乐", "米粒", "果果", "朵朵", "悠悠", "一一", "小满", "团团", "圆圆", "多多",
              "可可", "诺诺", "芊芊", "土豆", "橙子", "栗子", "小鱼", "跳跳", "妞妞", "壮壮", "甜甜", "暖暖", "阿宝"]
ROLES = ["妈", "妈妈", "麻麻", "妈咪", "爸爸", "家", "的妈妈", "宝妈", ""]
EMOJI = ["", "", "", "", "🌸", "🍓", "🌈", "✨", "💕", "🐰", "🌙"]
LATIN = ["Amy", "Coco", "Lily", "Sunny", "Grace", "Vivian", "Cherry", "Jenny", "Kiki", "Mia", "Yuki", "Nancy", "Echo"]
PLAIN = ["晴天", "阳光", "岁月静好", "平安喜乐", "知足常乐", "A-晴天", "木子", "花开半夏", "一路向北", "简单", "小太阳",
         "向日葵", "微笑", "静待花开", "A 好运来", "念念"]
DEFAULT_NICK = "微信用户"
DISTRIBUTORS = [("团长阿May", 0.34), ("宝妈小雨", 0.22), ("Lily妈咪🌸", 0.15), ("育儿师周老师", 0.12),
                ("小葵花团购", 0.10), ("甜甜妈", 0.07)]
BUYER_NOTES = ["尽快发货，谢谢", "宝宝身高85cm，体重11kg，选的90码", "送人的，不要放价格单", "请用顺丰", "周末送货",
               "麻烦检查一下有没有线头", "不要放发票", "颜色发错了上次，这次注意下哦😊", "地址电话以这个为准",
               "和上一单一起发", "宝宝过敏体质，纯棉的吧？"]
SELLER_NOTES = ["已补发赠品袜子", "地址已改", "客户要求延迟发货", "老客户，送小礼物", "已备注尺码"]
TEST_NOTE = "测试单 勿发货"
TEST_PRODUCT = ("test", "测试商品 请勿拍下", "", "TEST-001", [], [], 0.01, 0.0, None, None)
STAFF = [("棉小芽-店长", "18657100321", "林晓"), ("运营小王", "13735881047", "王运营")]
TEST_ORDERS = [  # when, staff, paid-and-refunded (True) or completed
    (datetime(2024, 6, 3, 10, 12, 5), 0, True), (datetime(2024, 6, 3, 10, 31, 44), 1, False),
    (datetime(2025, 3, 4, 19, 40, 2), 1, True), (datetime(2025, 3, 4, 19, 52, 30), 1, False),
    (datetime(2025, 10, 28, 16, 5, 9), 0, True), (datetime(2026, 1, 8, 9, 45, 51), 1, True),
    (datetime(2026, 5, 20, 14, 2, 17), 0, False)]
CARRIERS = [("中通快递", "75", 12, 0.45), ("韵达快递", "43", 11, 0.30), ("顺丰速运", "SF", 13, 0.25)]

PROMOS = {  # name, start, end, 限时折扣, coupon threshold, coupon amount
    "618": [(date(2024, 6, 1), date(2024, 6, 18)), (date(2025, 6, 1), date(2025, 6, 18))],
    "双11": [(date(2024, 11, 1), date(2024, 11, 11)), (date(2025, 11, 1), date(2025, 11, 11))],
    "双12": [(date(2024, 12, 10), date(2024, 12, 12)), (date(2025, 12, 10), date(2025, 12, 12))],
    "年货节": [(date(2025, 1, 6), date(2025, 1, 15)), (date(2026, 1, 12), date(2026, 1, 20))],
}
SPRING_PAUSE = [(date(2025, 1, 22), date(2025, 2, 5)), (date(2026, 2, 10), date(2026, 2, 24))]
LIVE_START = date(2025, 3, 5)
MONTH_FACTOR = {1: 0.95, 2: 0.70, 3: 0.90, 4: 0.95, 5: 1.0, 6: 1.15, 7: 0.90, 8: 0.90, 9: 1.0, 10: 1.05, 11: 1.40,
                12: 1.10}


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
        f = MONTH_FACTOR[d.month] * (0.75 + 0.6 * (d - START).days / (END - START).days)
        p = promo(d)
        if p == "双11":
            f *= 3.5 if d.day == 11 else 1.6
        elif p == "618":
            f *= 2.6 if d.day == 18 else 1.4
        elif p:
            f *= 1.5
        if any(a <= d <= b for a, b in SPRING_PAUSE):
            f *= 0.3
        w.append(f)
    w = np.array(w)
    return days, w / w.sum()


def _pick(rng, items, weights):
    w = np.asarray(weights, dtype=float)
    return items[rng.choice(len(items), p=w / w.sum())]


def _nickname(rng) -> str:
    r = rng.rand()
    if r < 0.55:
        baby, role = BABY_NAMES[rng.randint(len(BABY_NAMES))], ROLES[rng.randint(len(ROLES))]
        return baby + role + EMOJI[rng.randint(len(EMOJI))]
    if r < 0.75:
        n = LATIN[rng.randint(len(LATIN))]
        return n + (f"_{rng.randint(1, 99)}" if rng.rand() < 0.4 else "")
    return PLAIN[rng.randint(len(PLAIN))] + EMOJI[rng.randint(len(EMOJI))]


class _Phones:
    PREFIX = ["135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "166", "177", "180",
              "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199"]

    def __init__(self, rng):
        self.rng, self.seen = rng, {s[1] for s in STAFF}

    def new(self) -> str:
        while True:
            p = self.PREFIX[self.rng.randint(len(self.PREFIX))] + "".join(str(x) for x in self.rng.randint(0, 10, 8))
            if p not in self.seen:
                self.seen.add(p)
                return p


def _person(rng) -> str:
    given = GIVEN[rng.randint(len(GIVEN))] + (GIVEN[rng.randint(len(GIVEN))] if rng.rand() < 0.7 else "")
    return SURNAMES[rng.randint(len(SURNAMES))] + given


def _address(rng, province: str | None = None) -> dict:
    if province is None:
        province = _pick(rng, list(GEO), [g[0] for g in GEO.values()])
    cities = GEO[province][2]
    city, _, districts = _pick(rng, cities, [c[1] for c in cities])
    street = (f"{ROADS[rng.randint(len(ROADS))]}{rng.randint(1, 399)}号{ESTATES[rng.randint(len(ESTATES))]}"
              f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")
    return {"province": province, "city": city, "district": districts[rng.randint(len(districts))], "street": street}


def _buyers(rng, days, weights) -> list[dict]:
    phones = _Phones(rng)
    out = []
    firsts = rng.choice(len(days), size=N_BUYERS, p=weights)
    for i in range(N_BUYERS):
        first = days[firsts[i]]
        kind = _pick(rng, ["once", "returning", "loyal"], [0.52, 0.37, 0.11])
        nick = DEFAULT_NICK if rng.rand() < 0.12 else _nickname(rng)
        changes = []
        r = rng.rand()
        if r < 0.14:
            changes = [_nickname(rng)]
        elif r < 0.18:
            changes = [_nickname(rng), _nickname(rng)]
        elif r < 0.24 and nick != DEFAULT_NICK:
            changes = [DEFAULT_NICK]  # re-authorised after WeChat's nickname change: shown as 微信用户
        phone = "" if rng.rand() < 0.015 else phones.new()
        # the child: born 3 years before the export's start .. a few months after the buyer's first order
        birth = date(2021, 1, 1) + timedelta(days=int(rng.randint(0, (first - date(2021, 1, 1)).days + 120)))
        out.append({
            "phone": phone, "ship_phone": phone or phones.new(), "nick": nick, "changes": changes,
            "first": first, "kind": kind, "gap": {"once": 0, "returning": 95.0, "loyal": 38.0}[kind],
            "stop": {"once": 1.0, "returning": 0.45, "loyal": 0.12}[kind],
            "member": rng.rand() < 0.74, "addr": _address(rng), "name": _person(rng), "birth": birth,
            "live_fan": rng.rand() < 0.28, "h5": rng.rand() < 0.12,
            "distributor": (_pick(rng, [d[0] for d in DISTRIBUTORS], [d[1] for d in DISTRIBUTORS])
                            if rng.rand() < 0.13 else None),
            "grandma": ({"name": _person(rng), "phone": phones.new(), "addr": _address(rng)}
                        if rng.rand() < 0.2 else None),
        })
    return out


def _order_days(rng, b) -> list[date]:
    d, out = b["first"], []
    while d <= END:
        out.append(d)
        if rng.rand() < b["stop"]:
            break
        d = d + timedelta(days=max(4, int(rng.exponential(b["gap"]))))
    return out


def _live_day(d: date) -> bool:
    return d >= LIVE_START and d.weekday() in (2, 5)  # Wednesday and Saturday evenings


def _clock(rng, d: date, live: bool) -> datetime:
    if live:
        seconds = 20 * 3600 + int(rng.randint(0, 150 * 60))
    else:
        hours = np.array([3, 2, 1, 1, 0.5, 0.5, 1, 2, 3, 5, 7, 7, 6, 5, 5, 5, 4, 4, 4, 5, 7, 9, 10, 7], dtype=float)
        h = rng.choice(24, p=hours / hours.sum())
        seconds = int(h) * 3600 + int(rng.randint(0, 3600))
    return datetime(d.year, d.month, d.day) + timedelta(seconds=seconds)


def _size_for(rng, b, d: date) -> str:
    months = (d - b["birth"]).days / 30.44
    steps = [(3, "59cm"), (6, "66cm"), (9, "73cm"), (12, "80cm"), (24, "90cm"), (36, "100cm"), (48, "110cm"),
             (72, "120cm"), (999, "130cm")]
    order = [s for _, s in steps]
    size = "52cm" if months < 0 else next(s for m, s in steps if months < m)
    if size != "52cm" and rng.rand() < 0.35 and order.index(size) + 1 < len(order):
        size = order[order.index(size) + 1]  # a size up, to grow into
    return size


def _lines(rng, b, d: date, n: int) -> list[dict]:
    size = _size_for(rng, b, d)
    out = []
    for _ in range(n):
        candidates, w = [], []
        for p in PRODUCTS:
            key, _, _, _, colours, sizes, _, weight, months, since = p
            if (months and d.month not in months) or (since and d < since):
                continue
            if sizes and "cm" in sizes[0] and size not in sizes:
                continue
            if key == "lh" and size not in ("52cm", "59cm", "66cm"):
                continue
            if key in ("wz", "mz") and size in ("120cm", "130cm"):
                continue
            candidates.append(p)
            w.append(weight * (2.5 if key in ("hs", "lh") and size == "52cm" else 1.0))
        p = _pick(rng, candidates, w)
        key, name, category, code, colours, sizes, base, _, _, _ = p
        if not sizes:
            s = ""
        elif "cm" in sizes[0]:
            s = size
        elif sizes[0] == "均码":
            s = "均码"
        else:
            months = (d - b["birth"]).days / 30.44
            s = sizes[0] if months < 12 else (sizes[1] if months < 36 else sizes[2])
        colour = ""
        if colours:
            cw = [1.0 / (i + 1) ** 0.6 for i in range(len(colours))]
            colour = _pick(rng, colours, cw)
        price = base + (10.0 if s in ("80cm", "90cm", "100cm") else 20.0 if s in ("110cm", "120cm", "130cm") else 0.0)
        parts = ([f"颜色:{colour}"] if colour else []) + ([f"尺码:{s}"] if s else [])
        sku = ""
        if parts:
            sku = "-".join([code] + ([COLOUR_CODE[colour]] if colour else []) +
                           ([s.replace("cm", "") if "cm" in s else SIZE_CODE[s]] if s else []))
        qty = 1 if rng.rand() < 0.86 else (2 if rng.rand() < 0.85 else 3)
        if key == "wz" and rng.rand() < 0.3:
            qty += 1
        out.append({"key": key, "name": name, "category": category, "code": code, "spec": ";".join(parts),
                    "sku": sku, "price": price, "qty": qty, "way": "", "unit": price})
    return out


def _order(rng, b, when: datetime, nth: int, source: str, distributor: str | None, group_buy: bool) -> dict:
    d = when.date()
    n = int(_pick(rng, [1, 2, 3, 4, 5], [0.58, 0.25, 0.11, 0.04, 0.02]))
    lines = _lines(rng, b, d, 1 if group_buy else n)
    p = promo(d)
    if group_buy:
        gb = [k for k in GROUP_BUY]
        key = gb[rng.randint(len(gb))]
        item = PRODUCT[key]
        lines[0].update(key=key, name=item[1], category=item[2], code=item[3])
        spec_size = "" if not item[5] else ("均码" if item[5][0] == "均码" else lines[0]["spec"].split("尺码:")[-1])
        if key == "tx" and spec_size not in KID:
            spec_size = "90cm"
        if key == "wz":
            spec_size = "M(1-3岁)"
        colour = item[4][rng.randint(len(item[4]))] if item[4] else ""
        parts = ([f"颜色:{colour}"] if colour else []) + ([f"尺码:{spec_size}"] if spec_size else [])
        price = item[6] + (10.0 if spec_size in ("90cm", "100cm") else 20.0 if spec_size in ("110cm", "120cm", "130cm")
                           else 0.0)
        sku = ("-".join([item[3]] + ([COLOUR_CODE[colour]] if colour else []) +
                        ([spec_size.replace("cm", "") if "cm" in spec_size else SIZE_CODE[spec_size]]))
               if parts else "")
        lines[0].update(spec=";".join(parts), sku=sku, price=price, qty=1, way="拼团",
                        unit=round(price * 0.8, 2))
    elif p in ("618", "双11", "双12", "年货节") or source == "直播":
        rate = 0.85 if p else 0.9
        for ln in lines:
            ln["way"], ln["unit"] = "限时折扣", round(ln["price"] * rate, 2)
    for ln in lines:
        ln["subtotal"] = round(ln["unit"] * ln["qty"], 2)
        ln["coupon"] = 0.0
    goods = round(sum(ln["subtotal"] for ln in lines), 2)
    coupon = 0.0
    if p == "双11" and goods >= 299:
        coupon = 50.0
    elif p and goods >= 199:
        coupon = 30.0
    elif nth == 0 and goods >= 59 and rng.rand() < 0.35:
        coupon = 10.0
    if coupon:
        left = coupon
        for ln in lines[:-1]:
            ln["coupon"] = round(coupon * ln["subtotal"] / goods, 2)
            left -= ln["coupon"]
        lines[-1]["coupon"] = round(left, 2)
    for ln in lines:
        ln["paid"] = round(ln["subtotal"] - ln["coupon"], 2)
        ln["refund"], ln["refunded"] = "", 0.0
    paid_goods = round(sum(ln["paid"] for ln in lines), 2)
    gift = b["grandma"] is not None and rng.rand() < 0.3
    addr = b["grandma"]["addr"] if gift else b["addr"]
    remote = GEO[addr["province"]][1]
    if remote:
        shipping = 0.0 if paid_goods >= 199 else 15.0
    else:
        shipping = 0.0 if paid_goods >= 99 or p in ("618", "双11") else 8.0
    return {"when": when, "lines": lines, "source": source, "distributor": distributor,
            "type": "拼团订单" if group_buy else "普通订单", "shipping": shipping, "addr": addr,
            "recipient": b["grandma"]["name"] if gift else b["name"],
            "recipient_phone": b["grandma"]["phone"] if gift else b["ship_phone"],
            "buyer": b, "nth": nth, "note": (BUYER_NOTES[rng.randint(len(BUYER_NOTES))] if rng.rand() < 0.07 else ""),
            "seller_note": (SELLER_NOTES[rng.randint(len(SELLER_NOTES))] if rng.rand() < 0.02 else ""),
            "test": False}


def _nick_at(b, when: datetime, last: datetime) -> str:
    """The nickname shown on an order: a buyer who renamed shows each name from its day on."""
    if not b["changes"]:
        return b["nick"]
    span = (last - b["first_at"]).total_seconds() or 1.0
    k = len(b["changes"]) + 1
    i = min(int(k * (when - b["first_at"]).total_seconds() / span), k - 1)
    return ([b["nick"]] + b["changes"])[i]


def _settle(rng, o: dict) -> None:
    """Payment, shipping, refunds and the order's status as of the export."""
    when = o["when"]
    if o.get("abandoned"):
        o.update(paid_at=None, status="交易关闭", shipped_at=None)
        return
    if when.date() == END and when >= END_AT - timedelta(minutes=90):
        o.update(paid_at=None, status="待付款", shipped_at=None)
        return
    paid = when + timedelta(seconds=int(rng.randint(8, 600)))
    paid = min(paid, END_AT)
    o["paid_at"] = paid
    delay = timedelta(hours=float(rng.uniform(8, 60)) + (48 if o["source"] == "直播" else 0))
    ship = paid + delay
    for a, b in SPRING_PAUSE:
        if a <= ship.date() <= b:
            ship = datetime(b.year, b.month, b.day, 10) + timedelta(days=1)
    shipped = ship <= END_AT
    confirmed = shipped and ship + timedelta(days=float(rng.uniform(3, 7))) <= END_AT
    o["shipped_at"] = ship if shipped else None
    o["status"] = "交易成功" if confirmed else "已发货" if shipped else "待发货"
    # refunds: per line
    recent = (END_AT - paid).days < 10
    r = rng.rand()
    if r < 0.055:
        full = len(o["lines"]) == 1 or rng.rand() < 0.55
        refund_lines = o["lines"] if full else [o["lines"][rng.randint(len(o["lines"]))]]
        for ln in refund_lines:
            if recent:
                ln["refund"] = "退款中"
            else:
                ln["refund"], ln["refunded"] = "退款成功", ln["paid"]
        if full and not recent:
            o["status"] = "交易关闭"
    elif r < 0.065 and not recent:
        o["lines"][rng.randint(len(o["lines"]))]["refund"] = "退款关闭"


def _tracking(rng) -> tuple[str, str]:
    name, head, digits, _ = _pick(rng, CARRIERS, [c[3] for c in CARRIERS])
    number = head + "".join(str(x) for x in rng.randint(0, 10, digits))
    return name, ("\t" + number if number.isdigit() else number)


def write_shop(directory: str | Path) -> Path:
    """Write the export into `directory`; return its path."""
    rng = np.random.RandomState(SEED)
    days, weights = _day_weights()
    buyers = _buyers(rng, days, weights)
    orders: list[dict] = []
    for b in buyers:
        mine = []
        for nth, d in enumerate(_order_days(rng, b)):
            live = False
            if b["live_fan"] and d >= LIVE_START and rng.rand() < 0.7:
                for shift in (0, 1, -1, 2, -2, 3):
                    if START <= d + timedelta(days=shift) <= END and _live_day(d + timedelta(days=shift)):
                        d, live = d + timedelta(days=shift), True
                        break
            elif _live_day(d) and rng.rand() < 0.08:
                live = True
            if live:
                source, distributor = "直播", None
            elif b["distributor"] and rng.rand() < 0.75:
                source, distributor = "分销", b["distributor"]
            elif b["h5"] and rng.rand() < max(0.1, 0.8 - 0.7 * (d - START).days / 730):
                source, distributor = "公众号H5", None
            else:
                source, distributor = "微信小程序", None
            group_buy = source == "微信小程序" and not promo(d) and rng.rand() < 0.05
            when = _clock(rng, d, live)
            o = _order(rng, b, when, nth, source, distributor, group_buy)
            mine.append(o)
            if rng.rand() < 0.05:  # an abandoned checkout minutes before the paid one
                twin = dict(o, when=when - timedelta(seconds=int(rng.randint(90, 1800))), abandoned=True,
                            lines=[dict(ln) for ln in o["lines"]], note="", seller_note="")
                if twin["when"].date() == when.date():
                    mine.append(twin)
        if mine:
            b["first_at"] = min(o["when"] for o in mine)
            last = max(o["when"] for o in mine)
            for o in mine:
                o["nick"] = _nick_at(b, o["when"], last)
        orders += mine
    for when, staff, refunded in TEST_ORDERS:
        nick, phone, name = STAFF[staff]
        ln = {"key": "test", "name": TEST_PRODUCT[1], "category": "", "code": TEST_PRODUCT[3], "spec": "",
              "sku": "", "price": 0.01, "qty": 1, "way": "", "unit": 0.01, "subtotal": 0.01, "coupon": 0.0,
              "paid": 0.01, "refund": "", "refunded": 0.0}
        b = {"phone": phone, "member": False, "kind": "staff"}
        orders.append({"when": when, "lines": [ln], "source": "微信小程序", "distributor": None, "type": "普通订单",
                       "shipping": 0.0, "addr": {"province": "浙江省", "city": "杭州市", "district": "余杭区",
                                                "street": "文一西路969号海创园5号楼3楼"},
                       "recipient": name, "recipient_phone": phone, "buyer": b, "nth": 0, "note": "",
                       "seller_note": TEST_NOTE, "test": True, "nick": nick, "refunded_test": refunded})
    for o in sorted(orders, key=lambda o: o["when"]):
        if o["test"]:
            o.update(paid_at=o["when"] + timedelta(seconds=40), shipped_at=None)
            if o["refunded_test"]:
                o["lines"][0].update(refund="退款成功", refunded=0.01)
                o["status"] = "交易关闭"
            else:
                o["status"] = "交易成功"
        else:
            _settle(rng, o)
    # member level at the export: by the buyer's lifetime paid goods (Youzan's 成长值)
    spend: dict[str, float] = {}
    for o in orders:
        if o["status"] in ("交易成功", "已发货", "待发货") and not o["test"]:
            spend[o["buyer"]["phone"]] = spend.get(o["buyer"]["phone"], 0.0) + sum(
                ln["paid"] for ln in o["lines"] if ln["refund"] != "退款成功")
    for b in buyers:
        s = spend.get(b["phone"], 0.0)
        b["level"] = "" if not b["member"] or not b["phone"] else (
            "钻石会员" if s >= 1500 else "金卡会员" if s >= 600 else "银卡会员" if s >= 250 else "普通会员")
    # order numbers, newest first
    used: set[str] = set()
    rows = []
    for o in sorted(orders, key=lambda o: o["when"], reverse=True):
        while True:
            number = "E" + o["when"].strftime("%Y%m%d%H%M%S") + "".join(str(x) for x in rng.randint(0, 10, 9))
            if number not in used:
                used.add(number)
                break
        carrier, tracking = _tracking(rng) if o.get("shipped_at") else ("", "")
        paid_total = (round(sum(ln["paid"] for ln in o["lines"]) + o["shipping"], 2) if o.get("paid_at") else 0.0)
        b = o["buyer"]
        for ln in o["lines"]:
            rows.append({
                "订单号": number, "订单类型": o["type"], "订单状态": o["status"],
                "订单创建时间": o["when"].strftime("%Y-%m-%d %H:%M:%S"),
                "买家付款时间": o["paid_at"].strftime("%Y-%m-%d %H:%M:%S") if o.get("paid_at") else "",
                "订单来源": o["source"], "买家昵称": o["nick"],
                "买家手机号": ("\t" + b["phone"]) if b["phone"] else "",
                "会员等级": b.get("level", ""), "商品名称": ln["name"], "商品类目": ln["category"],
                "商品规格": ln["spec"], "规格编码": ln["sku"], "商品编码": ln["code"], "商品单价": money(ln["price"]),
                "商品优惠方式": ln["way"], "商品优惠后价格": money(ln["unit"]), "商品数量": str(ln["qty"]),
                "商品金额小计": money(ln["subtotal"]), "店铺优惠（分摊）": money(ln["coupon"]) if ln["coupon"] else "",
                "商品实际成交金额": money(ln["paid"]), "运费": money(o["shipping"]), "订单实付金额": money(paid_total),
                "商品退款状态": ln["refund"], "商品已退款金额": money(ln["refunded"]) if ln["refund"] == "退款成功" else "",
                "收货人/提货人": o["recipient"],
                "收货人手机号/提货人手机号": ("\t" + o["recipient_phone"]) if o["recipient_phone"] else "",
                "收货人省份": o["addr"]["province"], "收货人城市": o["addr"]["city"],
                "收货人地区": o["addr"]["district"], "详细收货地址/提货地址": o["addr"]["street"],
                "买家备注": o["note"], "分销员昵称": o["distributor"] or "", "商品发货物流公司": carrier,
                "商品发货物流单号": tracking, "商家订单备注": o["seller_note"],
            })
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)
    return path


if __name__ == "__main__":
    import sys

    print(write_shop(sys.argv[1] if len(sys.argv) > 1 else "."))
