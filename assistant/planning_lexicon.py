"""What words mean to the offline planner: weighted cues per intent and the phrases behind each
slot value, in English and Chinese. Rules are data; planner.py only scores and combines them.

Patterns run on normalised text: lower case, numbers as digits, common typos repaired.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------ intents
# How churn looks across a group ("VIP的churn情况", "流失情况", "what's the churn picture for VIPs"): a breakdown by
# risk band, not a list of the high band
CHURN_PICTURE = (r"\bchurn(?: risk)? (?:situation|picture|breakdown|overview|profile|distribution|status|mix|split|landscape)\b"
                 r"|\bhow(?:'s| is| does| do)\s+(?:the\s+|our\s+)?churn(?: risk)?\s+(?:look|looking|spread|distributed|break down|split)\b"
                 r"|\bhow (?:are|is) (?:\w+\s+){0,3}?doing on churn\b"
                 r"|(?:流失|churn)\s*(?:风险|risk)?\s*(?:的)?(?:情况|状况|分布|概况|结构|构成|怎么样|如何)")

# Counting from each customer's first purchase ("首单后每个月", "each month after their first order"): a cohort matrix
FIRST_PURCHASE_ZH = r"首(?:次|单)(?:购买?|下单)?(?:之|以)?后|首购(?:之|以)?后|第(?:一|1)(?:次|笔|单)(?:购买|下单|订单)?(?:之|以)?后"

# A group by when it first bought, then whether it came back: the cohort matrix, even without the word cohort ("of
# customers who first ordered in May, how many bought again", "三月首单的客户后来还有多少人回来买"). Two pieces,
# each anywhere in the question (two anchored lookaheads: one pass each)
FIRST_BUYERS = (r"\bfirst (?:bought|purchased|ordered|shopped|order(?:ed)?|purchase[sd]?|came)\b|\bfirst[- ]time (?:buyers|customers|shoppers|purchasers)\b"
                r"|\bnew (?:customers|buyers|shoppers|clients)\b|\bstarted (?:buying|shopping|ordering)\b|\bnewly acquired\b"
                r"|\b(?:we|they|you) (?:acquired|picked up|gained|brought in|onboarded|attracted|landed|won)\b"
                r"|\b(?:acquired|joined|signed up|won|picked up|gained|brought in|onboarded|attracted|landed)\s+(?:\w+\s+)?(?:in|during|over|last|this|from|at|each|every|per)\b"
                r"|首(?:次|单)|首购|第(?:一|1)(?:次|笔|单)(?:下单|购买|买|消费)?|新客|新顾客|新用户|拉来的|新增(?:的)?(?:客户|顾客|用户)")
CAME_BACK = (r"\b(?:came|come|coming|comes) back\b|\breturn(?:ed|s)? (?:for|to buy|to order|and (?:bought|ordered))\b|\breturned\b"
             r"|\b(?:bought|ordered|purchased|shopped|buy|order|purchase|shop)(?:ing)? (?:again|a second time|more than once)\b"
             r"|\b(?:kept|keep|keeps|still) (?:buying|ordering|shopping|purchasing|coming|active)\b|\bst(?:uck|ick|ay(?:ed)?) around\b"
             r"|\b(?:second|another|a repeat|repeat) (?:order|purchase)s?\b(?! (?:rate|ratio|share))|\brepeated\b"
             r"|\b(?:bought|ordered|purchased|shopped)\b.{0,30}\b(?:later|afterwards|after that|since then)\b"
             # what they do in the periods after: "keep bringing in revenue over the following months", "months later"
             r"|\b(?:keep|kept|still) (?:bringing|spending|generating|paying)\b|\b(?:in|over|during|for) the (?:following|next|subsequent|later) (?:\d+ )?(?:months?|quarters?|weeks?)\b"
             r"|\b(?:\d+ |a few |several )?(?:months?|quarters?) (?:later|after (?:that|their first|the first|joining|signing up))\b"
             r"|回来|回购(?!率)|复购(?!率)|再(?:次)?(?:买|下单|购买|来|消费)|又(?:买|下单|来)|还(?:会|能|在|有人)(?:再)?(?:买|下单|购买|消费|回来)|还买不买|继续(?:买|购买|下单|消费)"
             r"|后(?:来|续|面)[^，,。？?]{0,12}?(?:买|下单|购买|消费|回来|活跃)|还(?:有)?[^，,。？?]{0,6}?在(?:买|下单|购买|消费)|留(?:了)?下来|(?:二|2)次(?:购买|下单)|第(?:二|2)(?:次|单|笔)")
RETURN_OF_FIRST_BUYERS = r"^(?=.*?(?:" + FIRST_BUYERS + r"))(?=.*?(?:" + CAME_BACK + r"))"

# A KPI going up or down, asked in Chinese: "销售额是涨了还是跌了", "客单价在下滑吗" (English: "up or down", kpi_trend's cues)
UP_OR_DOWN = r"涨|跌|上升|下滑|走高|走低|回落|起伏|波动"

# intent -> [(pattern, weight)]. Each intent's weights add up to its cue score, one of the router's features
# (assistant/router.py): the classifier learns how much each score counts.
INTENT_CUES: dict[str, list[tuple[str, float]]] = {
    "dataset_overview": [
        (r"\b(?:what|which)\s+data\b|\bdata(?:set)?\s+(?:do\s+we\s+have|is\s+loaded|loaded|overview|summary)\b", 3),
        (r"\bdataset\b|\bdata\s*set\b", 1.5),
        # terse: "data status", "dataset summary?"
        (r"^(?:the\s+|our\s+)?data(?:set)?\s+(?:status|state|summary|overview|stats)\s*\??$", 3),
        (r"\boverview\b|\bat a glance\b|\bbig picture\b|\bsnapshot of (?:the|our) (?:data|business)\b", 1.5),
        (r"\b(?:headline|key|top-?line|basic|high-level) (?:numbers|figures|stats|statistics|metrics|facts)\b|总结(?:一下)?(?:我们的|现有的?|目前的)?数据|数据(?:的)?总结|哪(?:份|个|些)数据|用的(?:是)?(?:什么|哪份|哪个)数据|数据(?:是)?(?:哪份|哪个|什么时候的)", 3),
        (r"\bhow many (?:customers|clients|buyers|shoppers|orders)\b.*\b(?:and|&)\b.*\b(?:orders|customers|revenue|transactions)\b", 3),
        (r"\bhow many (?:orders|transactions)\b", 1.5),
        (r"\b(?:total|overall)\s+(?:revenue|sales|orders|customers)\b", 1),
        (r"\bdate range\b|\bwhat period\b|\bhow far back\b|\bas[- ]of date\b|\bloaded\b|\bmodels? (?:status|ready|built)\b", 2),
        (r"\bhow many customers (?:do we have|are there|in total|have we got)\??$", 2),
        (r"\b(?:our|total|overall)\s+(?:customer|order)\s+counts?\b|^(?:what(?:'s| is) )?(?:the )?(?:customer|order) count\??$", 2),
        (r"数据概况|数据概览|数据集|加载.{0,4}(?:什么|哪些)?数据|(?:什么|哪些)数据|有(?:什么|哪些)数据|数据(?:情况|总览|摘要)|总体情况|整体情况|概况|概览", 3),
        (r"多少(?:个)?客户.*(?:多少|和).*订单|多少(?:笔|个)?订单|订单(?:总)?数|总(?:收入|营收|销售额|订单)", 2),
        (r"(?:一共|总共|共有)(?:有)?多少(?:个|位|名)?客户", 2),
        (r"日期范围|时间范围|数据截止", 2),
        # how far the data runs: "数据是到哪天为止的", "数据截至几号", "what's the latest date in the data"
        (r"(?:数据|订单)(?:是|只)?(?:到|截至|截止到?)(?:哪(?:一)?天|什么时候|几号|哪个?月)|(?:数据|订单)的?(?:最后|最新)(?:一天|日期)|最新的?数据是(?:哪天|什么时候)"
         r"|\b(?:latest|last|most recent|end) date (?:in|of) (?:the |our )?data\b|\bhow (?:recent|up to date|current) is (?:the |our )?data\b|\bdata (?:go|run)s? (?:up )?(?:to|until)\b", 3),
        (r"\bwhat'?s in (?:the|our|this) (?:database|data(?:set)?|system)\b|\bsummar(?:y|ise|ize) (?:of )?(?:the|our) (?:data(?:base|set)?)\b|\bdatabase\b"
         r"|(?:几|多少)年的数据|多(?:长时间|久)的数据|数据(?:有|覆盖)(?:多久|多长时间|几年)"
         r"|数据(?:覆盖|涵盖|包含|包括|跨越)(?:了)?(?:哪(?:段|些|个)|什么|多长的?)(?:时间|时期|期间|日期|年份|月份)|哪段时间的数据|\bwhat (?:period|time span|dates?) does (?:the |our )?data cover\b", 2.5),
    ],
    "find_customers": [
        (r"\bwho\b", 1.5),
        (r"\bwhich\s+(?:of\s+(?:our|my|the)\s+)?(?:customers|clients|shoppers|buyers|people|users|accounts|ones)\b", 2),
        (r"\b(?:list|find|show|give|get|pull|fetch|display|identify|see|spot|name)\b", 1),
        (r"\bcustomers?\s+(?:who|that|with|whose|from|in|at)\b|\bpeople\s+who\b|\bthose\s+who\b", 1.5),
        (r"\bhow many\b", 1),
        (r"\bhow (?:big|large)\b|\bsize of\b|\bhow many people\b|\bcount of\b|\bnumber of customers\b", 1.5),
        (r"\b(?:best|top|biggest|largest|highest)\s+\d+\b", 1),
        (r"\btop\s+\d+\b|\b\d+\s+(?:most|best|highest|biggest|largest|top|riskiest|least)\b|\bmost likely to\b|\bbiggest spenders\b", 2),
        (r"\bsegment\b(?!s)", 0.5),
        (r"哪些|哪几个|有谁|谁(?:会|要|快|可能|是)|列出|列一下|列一列|列个|列下|列举|找出|找到|筛选|显示|看看|给我看|查看|名单|清单|多少(?:个|位|名)?客户|有多少|多大|规模", 1.5),
        (r"前\d+(?:名|个|位)?", 2),
    ],
    "segment_summary": [
        (r"\bbreak(?:\s|-)?(?:it\s+)?down\b|\bbreakdown\b|\bsplit\b|\bdistribution\b|\bdistributed\b|\bmix\b|\bcomposition\b", 2.5),
        (r"\bcompare\b|\bcomparison\b|\bcompared\b|\bversus\b|\bvs\.?\b|\bside by side\b|\bdiffer\b", 2),
        (r"\b(?:by|per|across|for each|each|every|between)\s+(?:value\s+|rfm\s+|churn\s+risk\s+|risk\s+)?(?:tiers?|segments?|personas?|countr(?:y|ies)|markets?|channels?|categor(?:y|ies)|risk\s+bands?|bands?|groups?|clusters?|regions?)\b", 2.5),
        (r"\b(?:which|what)\s+(?:sales\s+|marketing\s+|acquisition\s+|product\s+|value\s+|rfm\s+|customer\s+)?(?:tiers?|segments?|personas?|countr(?:y|ies)|markets?|channels?|categor(?:y|ies)|regions?)\b(?!\s+(?:is|does)\s+(?:customer|client|c\d))", 2.5),
        (r"\b(?:the|our|all|my|each of the)\s+(?:rfm\s+|value\s+|customer\s+)?(?:segments|personas|tiers|clusters)\b(?!\s+(?:model|defined|mean))", 2),
        (r"\bsummar(?:y|ise|ize)\b|\bprofile\s+(?:of\s+)?(?:the|our|each)\b|\bstats?\b|\bstatistics\b", 1),
        # "segment profile", "profiles of the tiers", "各分群画像": every group described at once
        (r"\b(?:segment|tier|persona|cluster|group|country|channel|category)s?\s+profiles?\b|\bprofiles?\s+(?:of|for)\s+(?:each|every|all|the|our)\s+(?:segments?|tiers?|personas?|groups?|clusters?|countr(?:y|ies)|channels?)\b", 3),
        # "segment sizes", "how big is each tier": every group's size at once
        (r"\b(?:segment|tier|persona|cluster|group|band)s? (?:sizes|counts|sizing)\b|\bsizes? of (?:the |our |each |all )?(?:\w+ )?(?:segments|tiers|personas|clusters|groups)\b|\bhow (?:big|large) is each\b"
         r"|(?:各|每个)(?:个)?(?:细分|分群|分层|层|人群|画像)(?:的)?(?:规模|大小|人数)", 3),
        (CHURN_PICTURE, 3),
        (r"\brevenue at risk\b.*\bby\b|\bwhere is (?:the )?revenue at risk\b|(?:营收|收入|金额|价值)(?:处于|面临|有)(?:流失)?风险|风险(?:收入|营收|金额)", 1.5),
        (r"按.{0,6}(?:统计|分|拆分|汇总|划分|看|分组|细分)|分布|对比|比较|构成|占比|拆分|细分情况|各(?:个)?(?:价值)?(?:层|分层|等级|细分|人群|画像|国家|国|渠道|品类|类目|风险|流失风险)|分别(?:有|是|占)?多少|各(?:有|自|占)多少|每个(?:价值)?(?:层|分层|等级|细分|人群|画像|国家|渠道|品类|类目)|(?:每|分)国(?!际)|不同(?:的)?(?:层|分层|等级|细分|人群|画像|国家|渠道|品类|类目|价值)|哪个(?:渠道|国家|品类|类目|细分|人群|画像|分层|等级)|比起来|相比(?:之下)?|相比较|差别|差异|区别|哪(?:一)?边|哪个更|谁更|哪(?:一)?(?:类|种)(?:的)?(?:人群|画像|细分|客户|渠道|品类|国家)?", 2.5),
    ],
    "customer_lookup": [
        (r"\blook\s*(?:up|into)\b|\blookup\b|\bpull up\b|(?<!segment )(?<!tier )(?<!persona )(?<!cluster )(?<!group )(?<!country )(?<!channel )\bprofile\b(?!s? (?:of|for) (?:each|every|all|the|our) (?:segments?|tiers?|personas?|groups?|clusters?|countr))|\bdetails?\s+(?:of|on|for|about)\b|\binfo(?:rmation)?\s+(?:on|about)\b", 2),
        (r"\bwhat tier is\b|\bwhich tier is\b|\bwhat(?:'s| is) (?:the )?(?:tier|segment|churn risk|clv|status)\s+of\b", 2),
        (r"下一步(?:该|应该|要|可以)?(?:推荐|做|怎么|干|行动|跟进)", 2),
        (r"\btell me about (?:customer|client)\b|\bwho is (?:customer|client)\b|\bnext best action\b|\blast orders?\b", 2),
        (r"查一?下|查询|查找|看一?下.{0,4}客户|客户.{0,12}(?:是|属于)(?:哪个|什么|哪一)|(?:等级|分层|价值层|档位)是|资料|详情|档案|画像卡", 2),
    ],
    "kpi_trend": [
        (r"\btrends?\b|\btrending\b|\bover time\b|\bdevelop(?:ed|ing|ment)?\b|\bevolv(?:ed|ing|e)\b|\bevolution\b|\bgrow(?:n|ing|th)?\b|\btrajectory\b", 2.5),
        (r"\b(?:monthly|weekly|daily|quarterly)\b|\b(?:per|each|every|by)\s+(?:month|week|day|quarter)\b|\bmonth[- ]over[- ]month\b|\bmom\b|\bqoq\b|\byoy\b|\bmonth by month\b", 1.5),
        (r"\bhow (?:has|have|did|is|are)\b.*\b(?:chang|mov|go|do|doing|trend|perform)|\b(?:been|is|are) (?:doing|performing)\b|\bdoing lately\b|\bwhat (?:were|was|are|is) (?:our |the )?(?:revenue|sales|orders|aov)\b.{0,25}\blike\b", 1.5),
        (r"\b(?:revenue|sales|orders|aov|average order value|basket size|repeat rate|repeat purchase rate|new customers?|active customers|turnover|gmv)\b", 1),
        (r"\b(?:chart|plot|graph|line)\b", 1),
        (r"\b(?:up|down)\s+or\s+(?:down|up)\b|\bgoing up\b|\bgoing down\b|\bincreas|\bdecreas|\bdeclin", 1),
        (r"趋势|走势|变化|增长|下降|发展|每月|每周|每天|每日|每季度|每个(?:月|季度|星期|礼拜)|每一天|按月|按周|按天|按季度|月度|各季度|季度(?:趋势|变化|走势|数据)|环比|同比|曲线|折线", 2.5),
        (r"营收|收入|销售额|订单量|客单价|复购率|新客(?:户)?数|活跃客户", 1),
        # up or down: "销售额是涨了还是跌了", "客单价在下滑吗", "订单量走高了没有"
        (UP_OR_DOWN, 2),
    ],
    "cohort_retention": [
        (r"\bcohorts?\b", 4),
        (r"\bretention\b|\bretain(?:ed|ing)?\b|\bstick(?:y|iness)\b|\bcome back\b|\bcoming back\b|\breturn(?:ing)? rate\b|\bkeep buying\b", 2.5),
        (r"同期群|队列|群组分析|留存|回访率|复购留存", 4),
        (r"\bcohorts?\b|同期群|队列分析", 2),
        # "how well do we keep customers after their first purchase", "新客后续几个月还在买的比例": a cohort matrix
        (r"\bafter (?:their|the|a) first (?:purchase|order)\b|\bsince (?:their|the) first (?:purchase|order)\b|\bfirst[- ]purchase (?:month|quarter|cohorts?)\b"
         r"|" + FIRST_PURCHASE_ZH, 2.5),
        # the share still buying some periods later is what a cohort matrix shows
        (r"\b(?:share|percent(?:age)?|proportion|fraction|how many) (?:of (?:them|customers|new customers) )?(?:still|keep|kept) (?:buying|ordering|purchasing|active)\b"
         r"|\b(?:still|keep|kept) (?:buying|ordering|purchasing|active)\b.{0,40}\b(?:months?|quarters?) (?:later|after)\b"
         r"|(?:还|仍|仍然|继续)在?(?:买|购买|下单|消费|复购)的?(?:比例|占比|比率|人数|客户)|后续.{0,8}(?:还在|继续|仍)(?:买|购买|下单)", 4),
        (RETURN_OF_FIRST_BUYERS, 4),
    ],
    "clv_forecast": [
        (r"\bforecast(?:s|ed|ing)?\b|\bproject(?:ed|ion|ions)?\b|\bpredict(?:ed|ion|ions)?\b|\bexpect(?:ed)?\b|\banticipat", 2.5),
        (r"\bnext\s+(?:\d+\s+)?(?:days?|weeks?|months?|quarters?|years?)\b|\bcoming\s+(?:\d+\s+)?(?:days?|weeks?|months?|quarter|year)\b|\bnext year'?s\b", 1.5),
        (r"\bwill (?:we|they|our customers) (?:make|earn|spend|bring|generate|buy)\b|\bhow much (?:will|should|could)\b|\bfuture (?:revenue|value|sales)\b", 2.5),
        (r"预测|预计|预期|将会|会带来|会贡献|未来|下(?:个|一)?季度|明年|接下来", 2.5),
    ],
    "recommend_products": [
        # "C000888适合交叉销售什么", "他适合买啥": what suits one customer
        (r"适合(?:交叉销售|追加销售|推荐|推|卖|买|购买)(?:给他|给她)?(?:什么|啥|哪些|哪个)", 3),
        (r"\brecommend(?:ation|ations|ed)?\b|\bsuggest(?:ion|ions)?\s+(?:products?|items?)\b|\bnext best (?:product|offer)\b", 3),
        # selling more to someone: "which products should we push to champions", "what can we cross-sell to new customers",
        # "给冠军客户主推哪些产品", "哪些商品适合交叉销售给忠诚客户"
        (r"\b(?:products?|items?|goods|skus?)\b.{0,30}\bpush\b|\bpush(?:ing)?\s+(?:\w+\s+){0,2}?(?:products?|items?|goods|skus?)\b"
         r"|\bwhat (?:can|could|should|would|to) (?:we |i )?(?:cross-?sell|up-?sell|push|pitch|sell|offer)\b|\b(?:cross-?sell|up-?sell)(?:ing)? (?:to|for)\b"
         r"|\b(?:cross-?sell|up-?sell)\s+(?:ideas|options|opportunities|candidates|suggestions|picks)\b"
         r"|(?:哪些|哪个|什么|啥)(?:产品|商品|单品|品|东西)?.{0,8}(?:交叉销售|搭配销售|关联销售|追加销售|向上销售|加购)"
         r"|(?:交叉销售|搭配销售|关联销售|追加销售|加购)(?:给|什么|啥|哪些|的(?:商品|产品)|机会|建议)", 3),
        (r"\bwhat (?:products?|items?|else) (?:should|could|would|to|might)\b|\bwhat (?:should|could) (?:we|i) (?:sell|offer|show|pitch|suggest)\b", 3),
        (r"\bwhich (?:products?|items?)\b|\bwhat (?:products?|items?)\b|\bsuggest\b", 1.5),
        (r"\bwhat (?:would|might|could|will) (?:[\w-]+\s+){1,2}(?:like|love|buy|want|enjoy|be interested in)\b", 2.5),
        (r"\bproducts? (?:for|to)\b|\bwhat (?:would|might) (?:they|he|she|c\d+) (?:like|buy|want)\b|\bcross[- ]?sell (?:products|items|ideas)\b", 1.5),
        (r"推荐|适合(?:他|她|他们|她们)?的?(?:产品|商品)|卖什么|买什么|什么(?:产品|商品)", 3),
        (r"\bproduct (?:ideas|suggestions|picks|recs)\b|\b(?:top|best|our|some|good) picks\b|\bpicks (?:for|to)\b|\bideas? (?:for|of) (?:products|items|what to (?:sell|offer|pitch))\b|\bwhat to (?:sell|offer|pitch) (?:to|him|her|them)\b"
         r"|适合(?:他|她|他们|她们)?(?:买|推|入手)|(?:买|卖|推)(?:点|些|一些)什么|(?:可以|能)(?:给(?:他|她|他们|她们)?)?推(?:点|些)什么", 3),
        (r"(?:还会|还可能|可能会?|会)(?:喜欢|想买|感兴趣)|喜欢什么|想买什么|感兴趣的(?:商品|产品)", 3),
        # picking some things for someone: "给冠军客户挑几样东西", "帮他选些商品"
        (r"(?:挑|选)(?:几|些|点|一些)(?:样|件|个|款)?(?:东西|商品|产品|好物|单品)", 3),
    ],
    "draft_campaign": [
        (r"\b(?:draft|write|compose|create|craft|prepare|generate|produce|come up with|put together|make|suggest|give)\b", 1),
        (r"\b(?:e-?mail|newsletter|sms|text message|texts?|push(?: notification)?(?!\s+(?:\w+\s+){0,2}?(?:products?|items?|goods|skus?|lines?)\b)|notification|message|copy|subject lines?|headlines?(?! (?:numbers|figures|stats|statistics|metrics|facts))|preheader|mailer|blast)\b", 2),
        (r"\b(?:draft|write|compose|craft)\b.*\b(?:e-?mail|newsletter|sms|text|push|notification|message|copy|subject|campaign|note|letter)\b", 2.5),
        (r"\bcampaign\b", 1),
        # "an SMS going out to hibernating customers": a message to be sent
        (r"\b(?:e-?mail|newsletter|sms|text|push(?: notification)?|message|blast)\s+(?:going|to go|that goes|goes|sent) out\b", 2),
        (r"\bwin[- ]?back\b|\bre-?engage(?:ment)?\b|\breactivat|\bwelcome\b|\bupsell\b|\bcross[- ]?sell\b|\bloyalty\b|\bannounc", 1),
        (r"写|起草|拟|撰写|生成|做一?(?:个|份)|文案|邮件|短信|简讯|推送|推播|电子报|通知|标题|营销(?:活动)?|话术", 1.5),
        (r"(?:写|起草|拟|撰写|生成).{0,20}(?:邮件|短信|简讯|推送|推播|电子报|通知|文案|标题|信|e-?mail|sms|push|edm|newsletter)", 2.5),
    ],
    "campaign_forecast": [
        (r"\bfinancially\b|\bworth the (?:money|cost|spend)\b|\bmake (?:us )?money\b|\bmoney[- ]wise\b|\bcampaign (?:math|maths|numbers|economics)\b|\b(?:do|run) the (?:math|maths|numbers)\b", 3),
        (r"\broi\b|\breturn on (?:investment|spend)\b|\bpay(?:s)? (?:back|off)\b|\bpay-?back\b|\bworth it\b|\bprofitable\b|\bbreak[- ]?even\b", 3.5),
        # the money a campaign would bring, by whatever channel it goes: "forecast the return of a push campaign",
        # "what would an sms win-back earn us", "发短信召回能赚回多少"
        (r"\b(?:forecast|project|predict|estimate|model)\w*\b.{0,40}\b(?:campaign|blast|send|win-?back|offer|coupon|promo\w*)\b.{0,40}\b(?:return|revenue|profit|payoff|cost|margin|roi|bring|earn|save)\w*"
         r"|\b(?:return|payoff|profit|uplift|net gain|margin)s?\b.{0,12}\b(?:of|from|on)\b.{0,25}\b(?:campaign|blast|send|win-?back|offer|coupon|promo\w*|sms|push|e-?mail)s?\b"
         r"|\bwhat (?:would|will|could|might|does|do)\b(?=.{0,60}\b(?:sms|texts?|push|e-?mails?|campaign|blast|send|win-?back|offer|coupon|voucher|discount|promo\w*)\b).{0,80}\b(?:earn|make|net|return|recover|bring (?:in|back))\b"
         r"|(?:短信|推送|邮件|活动|召回|挽回).{0,12}(?:能|可以|会)?(?:赚|挣|带来|挽回|收回|回收)(?:回)?多少|(?:预测|测算|估算|算算|算一下).{0,15}(?:活动|短信|推送|邮件|召回|挽回).{0,12}(?:收益|回报|效果|能赚|收入|成本)", 3),
        (r"\bsaved revenue\b|\bhow much (?:would|could) we (?:save|recover|win back)\b|\bcampaign (?:economics|value|forecast)\b|\bis it worth\b", 3),
        # the money back asked for outright: "what's the return", "what would the payoff be" (a return rate is refunds)
        (r"\bwhat(?:'s| is| would be| will be| does| do we get as)? (?:the |our )?(?:return|payoff|pay-?back|net)\b(?! (?:rate|ratio|policy|window|orders?))"
         r"|\bwhat (?:would|will|could) (?:the |our |it )?(?:return|payoff|pay-?back) be\b", 3),
        (r"\b(?:coupon|voucher|discount|offer|incentive)\b.*\b(?:cost|costs|costing|worth|\$|dollars?|euros?)\b|(?<!\w)(?:\$|€|£)\s?\d+\s+(?:coupon|voucher|discount|offer)\b|\b\d+\s*(?:dollars?|euros?|pounds?|usd|eur)\s+(?:coupon|voucher|discount|off|offer)\b", 1.5),
        (r"\bif we (?:send|give|offer|mail)\b|\bsave rate\b", 1.5),
        (r"投资回报|回报率|ROI|roi|划算|值不值|值得吗|能挽回多少|挽回收入|成本.*收益|收益.*成本|回本", 3.5),
        (r"\d+\s*(?:元|块|美元|欧元)的?(?:优惠券|代金券|券)|如果(?:我们)?(?:发|给|送)", 1.5),
    ],
    "ab_test": [
        (r"\ba/?b\s*test|\bab test|\bsplit test\b|\bexperiment\b|\bvariants? [ab]\b|\bversion [ab]\b|\ba/b\b|\bcontrol\b.*\b(?:treatment|variant|test)\b|\b(?:treatment|variant|challenger)\b.*\bcontrol\b", 3),
        (r"\bvisitors?\b|\bconversions?\b|\bconverted\b|\bconversion rates?\b|\bsignifican(?:t|ce)\b|\bp[- ]?value\b|\bdid (?:b|a|the new|variant b) win\b|\bwinner\b", 1.5),
        (r"a/?b测试|ab测试|实验|显著|转化率?|访客|对照组|实验组|[ab]组|[ab]版本?|哪个版本(?:赢|更好)", 2),
        (r"\b(?:beat|beats|outperform\w*|uplift|perform(?:ed|s)? better|(?:is|was) (?:the )?(?:new|variant|treatment|redesign|b)\b.{0,25}\bbetter)\b"
         r"|方案\s*[12一二]|[新旧原老]版|改版|哪(?:一)?个(?:方案|版本|页面|组)?(?:更好|好|赢了?|胜出|效果更好)|差异", 1.5),
    ],
    "export_audience": [
        (r"\bexport(?:ed|ing)?\b|\bdownload(?:able)?\b|\bcsv\b|\bspreadsheet\b|\bexcel\b|\bsend (?:it |them )?to (?:our |the )?(?:esp|crm|mailchimp|klaviyo)\b|\bsave (?:them|it|the list|this list|the audience) (?:as|to)\b|\bfile\b", 3.5),
        (r"导出|下载|csv|表格文件|存成文件|保存为|导成|存成(?:表格|excel|csv)", 3.5),
        (r"导(?:个|[1一]个|[1一]份|份|张)(?:[^，,。？?]{0,12}?)(?:表|excel|名单|清单|文件)|导(?:表|excel|名单|清单)|拉(?:个|[1一]个|[1一]份|份|张)?[^，,。？?]{0,12}?(?:名单|清单|表)(?:出来|给我|导出)|出(?:个|[1一]个|[1一]份|份|张)(?:表|名单|清单)"
         r"|(?:名单|清单|表格?)(?:发|传|导|拉)(?:给我|过来|出来)|做(?:个|[1一]个|成)(?:表格|excel)|表格(?:给我|发我)"
         r"|\b(?:dump|sheet|xlsx|xls)\b|\b(?:pull|send|get|give)(?: me)? (?:a |the )?(?:list|file|sheet) (?:i can|we can|to) (?:upload|import|load|send|share|use)\b", 3.5),
        (r"\b(?:download|export|save)\b.{0,30}\b(?:list|audience|customers|segment|names)\b", 1.5),
    ],
    "what_changed": [
        # what moved between two snapshots of the scores, not how one KPI evolved ("how has revenue changed" is a trend)
        (r"\bwhat(?:'s| has| have)?\s+(?:changed|moved)\b|\bwhat(?:'s| is)\s+(?:new|different)\b|\bchanges?\s+since\b|\bsince (?:the )?last "
         r"(?:refresh|update|snapshot|append|load|upload|time|data)\b|\banything (?:new|changed|different|unusual)\b", 3),
        (r"\b(?:newly|new(?:ly)? (?:entered|moved|become|became))\b.*\b(?:high|churn) risk\b|\bmoved (?:up|down|into|out of)\b"
         r"|\b(?:tier|segment) (?:moves|changes|movements)\b", 2),
        (r"有什么变化|有哪些变化|有何变化|什么变化|发生了什么|什么新情况|哪些变动|有什么变动|变动情况|以来.{0,6}变化|新进入高流失|"
         r"(?:和|与|跟)上(?:周|次|个月|一次)(?:相比|比)", 3),
        # against the last snapshot of the scores: "since the previous refresh", "比上次更新", "刷新以后"
        (r"\bsince (?:the |our )?(?:last|previous|prior|latest) (?:refresh|update|snapshot|append|load|upload|rebuild|run|build|import|data drop|scoring)\b"
         r"|\b(?:last|previous|prior) (?:snapshot|refresh)\b|\bbetween (?:the )?(?:two |last two )?snapshots\b"
         r"|上(?:[1一])?次(?:的)?(?:更新|刷新|快照|跑数|加载|导入|重建)|(?:刷新|更新|快照|重建|导入新数据|追加订单)(?:之|以)?(?:后|来)", 3),
        # the KPIs moving: "which KPIs shifted", "any movement in the numbers", "指标有没有异常", "哪些指标变了"
        (r"\b(?:kpis?|metrics|numbers|scores|figures)\b.{0,30}\b(?:chang\w*|mov(?:ed|ing|ements?)|shift\w*|swing\w*|jump\w*|spik\w*)\b"
         r"|\b(?:changes?|movements?|movers|moves|shifts?|swings?)\b.{0,30}\b(?:kpis?|metrics|numbers|scores|figures)\b"
         r"|指标.{0,8}(?:变|异常|波动|不一样|有没有动)|(?:变|异常|波动).{0,6}指标", 3),
        # a count going up or down since last time: "did the high-risk count go up since last week", "比上次多了还是少了"
        (r"(?:\b(?:go|gone|went|going|moved?) (?:up|down)|\b(?:rise|rose|risen|rising|increas\w*|decreas\w*|grow|grew|grown|fall|fell|fallen|drop\w*|climb\w*|shr[iu]nk\w*)\b).{0,40}\bsince\b"
         r"|\bsince\b.{0,40}\b(?:go|gone|went) (?:up|down)\b"
         r"|\b(?:more|fewer|less) (?:\w+ ){0,3}than (?:at )?(?:last time|the last (?:snapshot|refresh|update))\b"
         r"|(?:多了还是少了|少了还是多了|增加了还是减少了|减少了还是增加了|涨了还是跌了|升了还是降了|变多了|变少了|有没有变(?:化|动)?|变没变|有变(?:化|动)吗?|有(?:没有)?(?:什么)?变动|哪些地方(?:不一样|不同|变了))", 2.5),
        (r"\bmovers\b|\bwho (?:moved|dropped|slipped|climbed) (?:up |down |into |out of )|新(?:进入|变成|成为)|(?:升|降)了(?:[1一])?级|(?:升级|降级)(?:了)?(?:的)?客户", 2),
    ],
    "explain_model": [
        # "why should I trust the CLV numbers?", "CLV的数字凭什么可信"
        (r"\btrust(?:worthy)?\b|\bbelieve (?:the|these|those|your)\b|凭什么|可信|能信|信得过|靠得住", 2.5),
        # "walk me through how CLV is calculated", "how churn probability is computed"
        (r"\bhow (?:\w+\s+){1,3}(?:is|are|was|were|gets?|got) (?:defined|calculated|computed|determined|worked out|scored|built|derived|estimated|predicted|assigned)\b|\bwalk me through\b", 3),
        # "what does the recommender's hit rate look like?", "推荐模型命中率多少": a model's quality
        (r"\bhit[- ]?rates?\b|\brecommender\b|命中率|推荐(?:模型|算法|系统)|推荐(?:的)?(?:效果|准确率|准确度|表现|质量)", 3),
        # "人群画像是怎么聚类的", "价值分层如何计算的": how a model's groups or scores come about
        (r"(?:是|都是)?(?:怎么|如何|咋)(?:样)?(?:聚类|分群|分类|划分|计算|算|评分|打分|定义|判断|判定|选|挑|定|设定|确定|选定)(?:出来)?的", 3),
        (r"\bmodels?\b|\baccura(?:te|cy)\b|\bauc\b|\bprecision\b|\brecall\b|\bbrier\b|\blift\b|\bcalibrat|\bvalidat|\bbaseline\b|\bmodel card\b", 1.5),
        (r"\bhow (?:are|is|were|was|do|does|did) (?:you|we|the)?\s*(?:\w+\s+){0,3}(?:defined|define|calculated|calculate|computed|compute|determined|work|works|built|decided|assigned|scored|measured|predicted|predict|done|made|created|generated|formed|trained|derived|estimated|chosen|selected|grouped|clustered|segmented)\b", 3),
        (r"\bhow (?:good|reliable|accurate|well|trustworthy)\b|\bcan (?:we|i) trust\b|\bwhat (?:is|are|does|do) (?:a |an |the )?(?:\w+\s+){0,2}(?:mean|tiers?|segments?|personas?|churn probability)\b|\bexplain\b|\bdefinition\b|\bwhat (?:defines|makes|determines|decides)\b|\bcriteria\b|\bunder the hood\b", 2),
        (r"\bhow (?:good|reliable|accurate|well|trustworthy)\b.{0,40}\b(?:model|predictions?|forecasts?|scores?|scoring|recommendations?|tiers?|segments?)\b", 2),
        (r"模型的?(?:效果|表现|准确|精度|质量|好不好)|效果怎么样|准确率|靠不靠谱", 2),
        (r"(?:rfm|clv|ltv|bg/?nbd|价值分层|分层|人群画像|画像|细分|流失概率|流失模型|生命周期价值)(?:模型)?(?:指的)?是什么|"
         r"\bwhat(?:'s| is| are) (?:an? |the )?(?:rfm|clv|ltv|bg/?nbd|gamma[- ]gamma|churn probability|value tiers?|personas?)\??$|"
         r"(?:标准|规则|门槛|阈值|口径)是(?:什么|多少|怎样的)|怎么分的|准不准|准确吗|准确度|准确性|靠谱吗|可靠吗|可信吗|可不可信|原理|算法|机制|工作方式|运作方式|背后的逻辑|是怎么(?:工作|运作|运行)的", 3),
        (r"\bwhat (?:drives|causes|predicts|explains) (?:churn|customers? (?:to )?(?:churn|leave))\b|\b(?:main |key |top )?drivers? of churn\b|\bwhy do (?:customers|people|shoppers) (?:churn|leave)\b"
         r"|(?:客户)?(?:为什么|为何)(?:会)?流失|流失的?(?:主要|关键)?(?:原因|因素|驱动因素)", 3),
        (r"\bwhat goes into\b|\bwhat(?:'s| is) behind (?:the|a|our)\b|\bwhat (?:inputs|features|signals|factors|data) (?:go into|feed|drive|are used)\b|\bexplain (?:how|what|why)\b"
         r"|\bhow (?:do |does |did )?(?:you|it|the (?:system|model|tool|assistant|app)) (?:pick|choose|select|decide|come up with|calculate|compute|score|define|assign|rank)\b", 3),
        (r"\bmethodology\b|\bmethod(?:s)? behind\b|\blogic behind\b|\bunder the hood\b|\bhow (?:does|do) (?:the )?[\w\s]{0,20}(?:model|scoring|clustering|segmentation|tiering) work\b", 3),
        (r"模型|准确|准确率|精度|可靠|(?:怎么|怎样|如何)(?:定义|计算|算|划分|区分|分类|归类|分出来|分出|分的|来的|确定|做的?|得出|生成|训练|建的|构建|实现|聚的|分组|分群|打分|评分|预测的)|是什么意思|定义|原理|依据|口径", 2.5),
    ],
    "help": [
        (r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|howdy|greetings|yo)\b[\s!.,?]*(?:there|tierwise)?[\s!.,?]*$", 5),
        (r"\bwhat can you (?:do|help)\b|\bhow can you help\b|\bwhat (?:do|can) you (?:know|answer)\b|^help\b|\bhelp me get started\b|\bwhat should i ask\b|\bwhat are you\b|\bwho are you\b", 5),
        (r"^(?:你好|您好|嗨|哈喽|早上好|下午好|晚上好)[！!。，,？?]*$|你能做什么|你可以做什么|能帮我做什么|你会什么|怎么用|帮助|你是谁|使用说明", 5),
    ],
}

# Things Tierwise does not do. Strong enough to beat a stray domain word ("weather for our customers").
OUT_OF_SCOPE_CUES: list[tuple[str, float]] = [
    (r"\bweather\b|\bforecast for (?:tomorrow|today)\b|\btemperature\b|\brain(?:ing)?\b|\bsunny\b", 5),
    (r"\bjoke\b|\bpoem\b|\bhaiku\b|\bsong\b|\bstory\b|\briddle\b|\bfun fact\b", 4),
    (r"\b(?:python|javascript|java|code|script|function|program|regex|html|css|bash|scraper|crawler)\b|\bsql\b|\bquery the database\b|\bselect \* from\b", 4),
    (r"\bcapital of\b|\bpresident\b|\bstock price\b|\bbitcoin\b|\bfootball\b|\bsoccer\b|\bscore of the\b|\bnews\b|\brecipe\b|\bcook\b|\btranslate\b|\bmeaning of life\b|\btime is it\b|\bflight\b|\bhotel\b|\brestaurant\b|\bmovies?\b|\bfilms?\b|\btv (?:show|series)\b|\bnetflix\b|\bmusic\b|\bvacation\b|\bholiday destination\b|\bworld cup\b|\bolympics\b|\bsuper bowl\b|\bwho won\b"
     r"|\bmeeting rooms?\b|\b(?:book|schedule|set up|arrange) (?:a |an |me a )?(?:meeting|call|room|table|taxi|cab|appointment)\b|\bcalendar\b", 4),
    (r"天气|气温|下雨|笑话|诗|唱歌|故事|代码|编程|程序|脚本|爬虫|电影|电视剧|综艺|歌曲|音乐|旅游|景点|sql|股票|股价|新闻|菜谱|做饭|翻译|几点了|航班|酒店|餐厅|首都|比特币|会议室|订(?:个|一个|一下)?(?:会议|房间|餐|车|票)|日程|日历|世界杯|奥运|谁赢了", 5),
]

# Attempts to override the assistant or reach outside the tools: never followed
INJECTION = re.compile(
    r"\bignore\b.{0,40}\b(?:instructions?|rules?|prompts?|guidelines?|restrictions?|everything)\b"
    r"|\bdisregard\b.{0,40}\b(?:instructions?|rules?|prompts?)\b|\bforget\b.{0,30}\b(?:instructions?|rules?)\b"
    r"|\b(?:system|hidden|developer)\s+prompt\b|\bjailbreak\b|\bdeveloper mode\b|\bdan mode\b|\byou are now\b|\bpretend (?:to be|you are)\b"
    r"|\bact as (?:an? )?(?:admin|administrator|root|dba|superuser)\b|\bbypass\b|\boverride\b|\bsudo\b|\bi am (?:an? |the )?admin\b"
    r"|忽略.{0,12}(?:指令|指示|规则|提示|要求|设定)|无视.{0,12}(?:指令|规则)|忘记.{0,12}(?:指令|规则|设定)|系统提示|越狱|假装你是|你现在是|绕过",
    re.A)

# Requests to change or destroy data: refused, no tool runs
DATA_CHANGE = re.compile(
    r"\b(?:drop|truncate|alter)\s+(?:table|database|schema)\b|\bdelete\b|\bremove\s+(?:all\s+)?(?:the\s+)?(?:customers?|orders?|rows?|records?|data|everyone)\b"
    r"|\b(?:update|modify|edit|change|set|overwrite|wipe|erase|purge|reset)\b.{0,30}\b(?:database|table|records?|rows?|data|tier of|segment of|email of|their (?:tier|segment|email)|customer (?:record|data))\b"
    r"|\binsert\s+into\b|\bdrop\b.{0,20}\b(?:customers?|orders?|tables?|database)\b|;\s*--|\bexec(?:ute)?\s+(?:sql|query)\b|\brun\s+(?:this\s+)?(?:sql|query)\b|\brun\b.{0,10}\b(?:drop|delete|update|insert)\b"
    r"|删除|删掉|删了|全删|删光|删干净|清空|修改.{0,10}(?:数据|记录|等级|客户)|更改.{0,10}(?:数据|记录|等级)|篡改|drop\s*table|执行.{0,6}(?:sql|语句)",
    re.A)

# Asking to see the people themselves: "list …", "show me …", "who are …", "列一下", "给我看看", "有哪些". With no metric
# but a kind of customer (customers, returning or new customers) it is a list, not a count (planner.PEOPLE_METRICS)
LIST_REQUEST = re.compile(
    r"(?:^|(?<=[.?!;:,，。？！；：]))\s*who\b(?! (?:cares|knows)\b)"  # a question about people: "…next week. who buys through …"
    r"|\b(?:list|show me|give me|get me|pull(?: up)?|display|who are|who're|who is in|names of|a list of|the list of|which (?:customers|clients|shoppers|buyers|people|ones))\b"
    r"|列一下|列下|列个|列出|列举|列一列|列表|给我看看|给我看下|看看|看一下|有哪些|哪些|是谁|有谁|名单|清单|找出|筛出|拉一下|拉出|拉个",
    re.A)

# A question against the last snapshot of the scores (what_changed), whatever KPI it names
SNAPSHOT = re.compile(r"\bsnapshots?\b|\b(?:last|previous|prior|latest) (?:refresh|update|data (?:load|drop|update)|rebuild|scoring run)\b"
                      r"|快照|上(?:[1一])?次(?:的)?(?:更新|刷新|跑数|重建)|(?:刷新|更新|重建)(?:之|以)?(?:后|来)", re.A)

# ------------------------------------------------------------------ follow-ups
PRONOUN = re.compile(
    r"\b(?:them|they|those(?!\s+(?:who|that|which|with|whose)\b)|these(?!\s+(?:who|that|which|with|whose)\b)|this (?:audience|segment|group|list|cohort)|that (?:audience|segment|group|list)"
    r"|the (?:same )?(?:audience|segment|group|list|ones|customers above|above)|same (?:audience|customers|people|group|list)"
    r"|these (?:customers|people|folks|users)|those (?:customers|people|folks|users)|the ones)\b"
    r"|他们|她们|它们|这些|那些|这批|那批|这部分|上述|(?<![\d元块次单笔天个%岁])以上|刚才的|上面的|这群|该人群|这个人群|这个群体",
    re.A)
MODIFIER = re.compile(
    r"^(?:and\s+|ok(?:ay)?,?\s+|now\s+|so\s+|then\s+|but\s+)?(?:only|just|what about|how about|and|same for|same but|now|filter (?:to|by|for)|narrow (?:it |that )?(?:down )?to|restrict (?:it |that )?to|limit (?:it |that )?to|instead|except)\b"
    # reworking the copy or result just made: "make it more casual", "give me 3 versions", "shorter please"
    r"|^(?:and\s+|ok(?:ay)?,?\s+|now\s+|so\s+|then\s+|but\s+)?(?:make (?:it|them|this|that|the (?:copy|e-?mail|sms|text|push|message))|change (?:it|that|the tone|the channel)|turn (?:it|that) into|switch (?:it )?to|(?:give me|add|write|try) (?:\d+ )?(?:more |other |another |different )?(?:versions?|variants?|options?|takes?)|more [a-z]+$|(?:shorter|longer|punchier|softer)\b)"
    r"|^(?:only|just)\b|\b(?:only|just) (?:the ones|those|them|customers)\b"
    r"|^(?:that (?:again|once more)|again|one more|(?:another|a different|a new) (?:version|one|take|variant|draft)|redo (?:it|that)|try again)\b"
    r"|^(?:那|那么|再|只看|只要|仅看|只算|只统计|只显示|换成|改成|如果是|那如果|还有|再看看?|其中|这里面|里面)|只看|只要|只算|仅限|换成|改成|再来一|换一(?:版|个|条|种)|重写一"
    # "挽回率按10%算呢", "意大利呢": a short phrase ending in 呢 asks "and what about …" (a full question does not)
    r"|^(?!.*(?:哪些|哪个|哪几|多少|有谁|什么|谁|怎么|如何|吗|是否)).{1,12}呢\s*[。？?！!]*$",
    re.A)
# A follow-up that only changes the time grain of the last trend, breakdown or cohort table: "switch to quarters",
# "make it monthly", "weekly instead?", "按季度看", "改成按月", "换成周的呢". Group 1 or 2 names the grain.
GRAIN_SWITCH = re.compile(
    r"^(?:ok(?:ay)?[,\s]+|and\s+|now\s+|then\s+|but\s+|so\s+|what about\s+|how about\s+|can you\s+|could you\s+|please\s+)*"
    r"(?:(?:switch|change|go|move|flip|turn|make|do|show|break|redo|group|aggregate|roll)\s+(?:it\s+|that\s+|this\s+|them\s+|the (?:chart|table|trend|numbers|view|grain)\s+)?"
    r"(?:up\s+|down\s+|over\s+|back\s+)?(?:to\s+|into\s+|by\s+|per\s+|as\s+|in\s+)?|(?:by|per|in)\s+)?(?:the\s+|a\s+)?"
    r"(quarters?|quarterly|months?|monthly|weeks?|weekly|days?|daily|years?|yearly|annual(?:ly)?)"
    r"(?:\s+(?:view|grain|level|basis|buckets?|periods?|instead|then|please|now|rather))*\s*[?.!]*$"
    r"|^(?:那|那就|那么|再|好的?[，,]?)?(?:改|换|变)?(?:成|为)?(?:按|分|以|用)?(?:照)?(季度|季|月份?|月|周|星期|天|日|年度?)(?:度)?(?:来|为单位)?"
    r"(?:看|统计|汇总|显示|展示|拆|算|的)?(?:一下|下|看)?(?:呢|吧|呗)?[。？?！!]*$", re.A)
GRAIN_WORDS = {"quarter": "quarter", "季": "quarter", "month": "month", "月": "month", "week": "week", "周": "week", "星期": "week",
               "day": "day", "daily": "day", "天": "day", "日": "day", "year": "year", "annual": "year", "年": "year"}

LANGUAGE_SWITCH = {
    "zh": re.compile(r"\b(?:in|into|to) (?:simplified )?(?:chinese|mandarin)\b|\bchinese (?:version|please|e-?mail|sms|text|push|copy|message)\b|\bchinese (?:[a-z-]+ ){1,2}(?:e-?mail|sms|text|push|copy|message|notification|newsletter)s?\b|(?:中文|汉语)(?:的)?[\u4e00-\u9fff]{0,4}?(?:邮件|短信|推送|文案|消息|通知)|用中文|中文版|翻译成中文|中文的|换成中文|改成中文|写成中文|用汉语", re.A),
    "en": re.compile(r"\b(?:in|into|to) english\b|\benglish (?:version|please|e-?mail|sms|text|push|copy|message)\b|\benglish (?:[a-z-]+ ){1,2}(?:e-?mail|sms|text|push|copy|message|notification|newsletter)s?\b|(?:英文|英语)(?:的)?[\u4e00-\u9fff]{0,4}?(?:邮件|短信|推送|文案|消息|通知)|用英文|英文版|翻译成英文|英文的|换成英文|改成英文|用英语|英语版", re.A),
}

# ------------------------------------------------------------------ slot values
TIER_CUES: dict[str, str] = {
    "high": r"\bhigh[- ]?(?:value|tier|spend(?:ing|ers?)?|ltv|clv|worth)\b|\b(?:top|premium|gold|best)[- ]tier\b|\bvips?\b|\bmost valuable\b|\bbig spenders\b|\bwhales\b|\bhighest[- ]value\b|\btier\s*[=:]?\s*high\b|\bhigh\s+tier\b|\bthe high ones\b"
            r"|高价值|高端|高净值|(?<!加拿)大客户|vip|重要客户|高层级|高等级|头部客户|最有价值|价值最高|高档",
    # "average-value customers" are the mid tier; "the average value of our segments" is a mean
    "mid": r"\b(?:mid|middle|medium|mid-range)[- ]?(?:value|tier)\b|\baverage[- ]tier\b|\baverage[- ]value (?:customers|shoppers|buyers|clients|accounts|people|ones)\b|\btier\s*[=:]?\s*mid\b|\bmid\b"
           r"|中等?价值|中价值|中层|中等级|中间层|中档|腰部客户",
    "low": r"\blow[- ]?(?:value|tier|spend(?:ing|ers)?)\b|\b(?:bottom|lowest)[- ]tier\b|\btier\s*[=:]?\s*low\b|\bleast valuable\b"
           r"|低价值|低层|低等级|低档|尾部客户|价值最低",
}

SEGMENT_CUES: dict[str, str] = {
    "champions": r"\bchampions?\b|\bbest customers\b|冠军|明星客户|最佳客户",
    "loyal": r"\bloyal(?:ists?)?\b(?!\s*ty)(?!\s+(?:email|programme|program|campaign|message|sms|push))|(?<!潜在)忠诚客户|(?<!潜在)忠实客户|(?<!潜在)忠诚(?!度|计划|活动|邮件)",
    "potential_loyalist": r"\bpotential(?:ly)?[- ]loyal(?:ists?)?\b|潜在忠诚|潜在忠实",
    "new_customers": r"\bnew (?:customers?|buyers?|shoppers?|clients?|signups?|sign-ups?)\b|\bnewcomers\b|\bfirst[- ]time (?:buyers|customers|shoppers)\b|新客户|新客|新顾客|新用户|首购客户",
    "promising": r"\bpromising\b|有潜力|潜力客户|有希望",
    "need_attention": r"\bneeds?[- ]attention\b|\bneeding attention\b|需要关注|需关注|需要关照",
    "about_to_sleep": r"\babout[- ]to[- ]sleep\b|\bfalling asleep\b|\bdozing\b|\bgoing (?:to sleep|dormant)\b|即将沉睡|快要沉睡|快睡着|将要沉睡|即将休眠",
    "at_risk": r"(?<!revenue )(?<!value )(?<!money )(?<!sales )(?<!much )(?<!revenue is )(?<!value is )(?<!money is )(?<!sales are )(?<!much is )(?<!spend is )\bat[- ]risk\b(?!\s+(?:of|from)\b)|风险细分|(?<!营收)(?<!收入)(?<!金额)(?<!价值)处于风险|(?<!流失)有风险的客户|(?<![流失高中低])风险客户(?!.*流失)",
    "cannot_lose": r"\bcan(?:'t|not| not|nt)[- ](?:afford[- ]to[- ])?lose\b|\bcannot_lose\b|\bmust[- ]keep\b|不能失去|不能丢|不可失去|不能流失的|绝不能流失",
    "hibernating": r"\bhibernat\w*|\bdormant\b|\bsleeping\b|\binactive\b(?!\s+for)|休眠|沉睡(?!.*即将)|冬眠|不活跃",
    # words for customers already gone: the lapsed risk band unless the segment is named (LOST_SEGMENT_NAMED below)
    "lost": r"\blost\b(?! revenue)|\blapsed\b|\bchurned\b|\bgone away\b|\bformer customers\b|\bex-customers\b"
            r"|\b(?:already|long|now) gone\b|\bgone for good\b|\b(?:are|is|were) gone\b(?! (?:quiet|silent|cold))|\b(?:who|that|have|has|had) (?:already )?left us\b"
            r"|\b(?:have|has|had|who|that|already) (?:already )?(?:stopped|quit|ceased) (?:buying|ordering|purchasing|shopping)\b"
            # losing told as something that happened: "who did we already lose", "customers we no longer see"
            r"|\b(?:did|do) (?:we|you|i) (?:already |just |recently |actually )?lose\b|\bno longer (?:buy|order|shop|purchase|come|customers)\w*"
            r"|\b(?:don'?t|do not|doesn'?t|does not) (?:buy|order|shop|purchase)(?: \w+){0,3}? any ?more\b|\bwho (?:have |has |had )?(?:already )?left\s*(?=[?.!,]|$)"
            r"|已(?:经)?流失|(?<![快将要会能在渐慢始易])(?:流失(?:了|掉)?的?(?:客户|用户|顾客|老客|会员)(?!.*(?:风险|可能|快|将|即将))|流失的人|流失(?:了|掉)(?!.*(?:风险|可能|概率)))"
            # a gone state before whatever else describes the customers: 流失的高价值客户, 流失掉的德国老客, 我们失去了哪些客户
            r"|(?<![快将要会能在渐慢始易])流失(?:了|掉)?的(?!风险|概率|可能|原因|情况|比例|率|趋势)[^，,。？?！!；;\s]{1,8}?(?:客户|用户|顾客|老客|会员|买家|vip)(?!.*(?:风险|可能|快|将|即将))"
            r"|(?<![不能可想别怕])(?:失去|丢掉|丢失|丢了|走掉|跑掉)(?:了)?的?[^，,。？?！!；;\s]{0,8}?(?:客户|用户|顾客|老客|会员|买家|vip)"
            r"|丢失的?客户|流失(?:的)?(?:分群|细分)",
}

# Customers drifting away but not gone: the churn model's notion of at risk (churn_risk high), in every
# combination. Not the lost segment ("lapsed", "churned": gone) and not an RFM segment: a value tier is a forecast,
# so "VIPs who have gone quiet" are valuable customers the churn model flags, never an empty high-tier ∩ lost.
DRIFTING = (r"\b(?:gone|going|went|grown|growing|turned|gotten|getting) (?:quiet|silent|cold)\b(?!\s+(?:for|in|over)\s+\d)"
            r"|\bslipping(?: away)?\b|\blapsing\b|\bdrifting(?: away| off)?\b|\bfading(?: away)?\b|\bcooling off\b"
            r"|\bdisengag(?:ed|ing)\b|\b(?:buying|ordering|shopping|purchasing) less\b|\bless active\b"
            r"|沉默(?:了)?(?!(?:了|已|超过|有)*\s*\d)|变(?:得)?沉默|冷淡|不怎么(?:来|买|下单|消费|光顾|购买)|(?:买|来|下单|消费)得?(?:越来越)?少了|越来越少(?:来|买|下单|消费)"
            r"|(?:正在|逐渐|渐渐|慢慢|开始)流失|流失中|不再(?:回购|复购|购买|下单|光顾|消费|来)|不(?:会)?再(?:来|买)了")

CHURN_CUES: dict[str, str] = {
    "medium": r"\bmedium[- ](?:churn[- ])?risk\b|\bmoderate[- ](?:churn[- ])?risk\b|\bmid[- ]risk\b|中等(?:的)?(?:流失)?风险|中风险|风险中等|流失风险(?:为|是|处于)?中等",
    "low": r"\blow[- ](?:churn[- ])?risk\b|\bunlikely to (?:churn|leave)\b|\bsafe\b|低(?:的)?(?:流失)?风险|风险(?:较|很)?低|不太可能流失",
    "high": r"\b(?:about|going|likely|set|poised|ready|expected|predicted|at risk|risk) to (?:churn|leave|lapse|stop buying|drop off|quit)\b"
            r"|\b(?:we'?re|we are|are we|we might be|we could be|we may be|might we be) (?:losing|about to lose|going to lose|at risk of losing)\b"
            r"|\bhigh(?:est)?[- ](?:churn[- ])?risk\b(?! of)|\bhigh churn\b|\bchurn[- ]risk\b(?!\s*(?:band|level)s?\b)|\b(?:at )?(?:high |highest |serious |real )?risk of (?:churn(?:ing)?|leaving|lapsing|losing them|walking away|defecting|quitting|dropping off|going elsewhere|switching)\b"
            r"|\bmight (?:churn|leave)\b|\bmay (?:churn|leave)\b|\bcould (?:churn|leave)\b|\bwill (?:churn|leave)\b|\bprobably (?:churn|leave)\b|\bchurners\b|\bflight risks?\b|\blikely churners\b|\bslipping away\b|\bon the verge of (?:churning|leaving)\b"
            r"|\bchurn(?:ing)? customers\b|\bwho (?:is|are) churning\b"
            r"|\b(?:about|going|likely|set) to lose\b|\b(?:might|may|could|will) lose\b|\bat risk of losing\b|\bin danger of (?:churning|leaving)\b"
            r"|\bhigh(?:est)? (?:chance|probability|likelihood) of (?:churn\w*|leaving)\b|\blikel(?:y|ihood) (?:of|to) churn\b"
            r"|\b(?:showing |show )?(?:warning )?signs of (?:churn\w*|leaving|lapsing|slipping)\b"
            r"|\b(?:might|may|could|will|would|likely to|going to|about to|set to|expected to|predicted to|at risk of|risk)(?: soon)? (?:stop|quit|cease|stopping|quitting) (?:buying|ordering|purchasing|shopping|coming)\b"
            r"|\b(?:stop|quit) (?:buying|ordering|purchasing|shopping)(?: from us| with us)? soon\b|\b(?:won'?t|will not|unlikely to|never going to) (?:come back|return|buy again|order again|reorder)\b"
            r"|\b(?:likely|about|going|set|might|may|could) (?:to )?(?:defect|walk away|jump ship)\b|\bchurn candidates\b"
            r"|\b(?:worr(?:y|ied)|concerned|afraid|scared|nervous) (?:about|of) losing\b|\b(?:should|must) (?:we )?(?:worry|be worried) about\b"
            r"|(?:快|快要|要|可能|会|即将)(?:会)?(?:不买|不来|不下单|不再买|不再来)"
            r"|快要流失|即将流失|快流失|将要流失|可能(?:会)?流失|要流失|会流失|(?:很|比较|最|较)?容易流失|易流失|流失的?风险(?:较|很|比较|最)?高|高流失|高风险|流失可能性(?:较|很)?高|有流失的?风险|处于(?:高)?流失(?:的)?风险|面临流失|流失概率(?:较|很)?高|(?:很大|较大|极大|比较大|高)的?(?:概率|可能性?|几率)(?:会)?流失|流失的?(?:概率|可能性|几率)(?:很|较|比较)?(?:大|高)|流失(?:倾向|迹象|预警)|流失风险(?:变高|变大|上升|升高|增加|提高)|(?:可能|快|快要|要|会|即将)(?:会)?离开"
            "|" + DRIFTING,
}

# Segments of customers the models count as gone: nobody in them is in the high or mid value tier (a forecast),
# so a value tier with words like "lapsed"/"已流失" means valuable customers slipping away (churn_risk high),
# unless the segment is named as a segment.
GONE_SEGMENTS = ("hibernating",)
NAMED_SEGMENT = re.compile(r"\bsegments?\b|\brfm\b|细分|分群|rfm", re.A)
# Customers already gone ("lapsed", "churned", "who have we already lost?", 已流失, 流失客户, 流失了的客户) are the
# lapsed risk band, which PRODUCT.md makes its own answer, with or without a value tier ("lapsed VIPs" are the
# valuable customers who are gone). The RFM segment 'lost' is chosen only when the question names it as a segment
# ("the lost segment", "RFM lost", "segment = lost", 流失分群, RFM里的流失) or compares it with other segments.
LOST_SEGMENT_NAMED = re.compile(
    r"\blost\s+(?:rfm\s+)?(?:segment|group in (?:the )?rfm)\b|\bsegments?\s*(?:called\s+|named\s+|=\s*|:\s*)?['\"]?lost\b"
    r"|\brfm\b.{0,30}\blost\b|\blost\b.{0,30}\brfm\b|\bsegment\b.{0,12}\blost\b"
    r"|流失.{0,3}(?:分群|细分|rfm)|(?:rfm|分群|细分).{0,8}(?:已)?流失|(?:已)?流失.{0,8}rfm", re.A)

RISK_RANK = re.compile(r"\bmost likely to (?:churn|leave|stop (?:buying|ordering|shopping|purchasing)|lapse|drop off|quit)\b|\btop\s+\d+\s+(?:churn|at[- ]risk|riskiest|churners)|\b\d+\s+(?:biggest|top) churn risks\b|\b(?:highest|biggest|top) churn (?:probabilit(?:y|ies)|risks?|scores?|likelihood|odds)\b|\b(?:riskiest|most at risk)\b|\b(?:highest|biggest|greatest|largest|top) (?:churn )?(?:risk|chance|probability|likelihood|odds) of (?:churn\w*|leaving|lapsing)\b|最可能流失|流失的?(?:可能性|概率|几率|风险)(?:最大|最高)|流失概率最高|最容易流失|风险最高|最危险|最(?:有)?可能(?:不再|停止)(?:购买|下单|买|消费)", re.A)

# country: canonical (as the demo spells it) -> alias pattern; matched against the dataset's own list
# A demonym names a country only before people ("German VIPs", "French shoppers"), not a language ("in German")
_PEOPLE = r"(?:customers|shoppers|buyers|clients|market|ones|people|users|consumers|vips?|accounts|members|champions|spenders|audience|segment|base|lists?)\b"
COUNTRY_ALIASES: dict[str, str] = {
    "United States": r"\bunited states\b|\busa\b|\bu\.s\.a?\.?(?=\s|$|[,?!])|\bamerica\b|\bamerican\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|\bthe states\b|美国",
    "United Kingdom": r"\bunited kingdom\b|\bu\.?k\.?\b|\bbritain\b|\bgreat britain\b|\bbritish\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|\bengland\b|\bgb\b|英国",
    "Germany": r"\bgermany\b|\bgerman\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|\bdeutschland\b|德国",
    "France": r"\bfrance\b|\bfrench\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|法国",
    "Spain": r"\bspain\b|\bspanish\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|西班牙",
    "Italy": r"\bitaly\b|\bitalian\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|意大利|义大利",
    "Netherlands": r"\b(?:the )?netherlands\b|\bholland\b|\bdutch\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|荷兰",
    "Canada": r"\bcanada\b|\bcanadian\b(?=(?:\s+[\w-]+){0,3}?\s+" + _PEOPLE + r")|加拿大",
    "China": r"\bchina\b|中国",
    "Japan": r"\bjapan\b|日本",
    "Australia": r"\baustralia\b|澳大利亚|澳洲",
    "Mexico": r"\bmexico\b|墨西哥",
    "Brazil": r"\bbrazil\b|巴西",
    "India": r"\bindia\b|印度",
}
# "US" only in capitals: "us" is a pronoun
US_UPPER = re.compile(r"(?<![A-Za-z])US(?![A-Za-z])")

CHANNEL_ALIASES: dict[str, str] = {
    "web": r"\bweb(?:site|shop|store)?\b|\bonline\b|\bdesktop\b|\be-?commerce site\b|网站|网页|线上|官网|网店|web端",
    "app": r"\b(?:mobile )?apps?\b|\bmobile\b|\bios\b|\bandroid\b|手机|应用|app端|小程序",
    "store": r"\bin[- ]store\b|\b(?:physical |retail |brick[- ]and[- ]mortar )?stores?\b|\bretail\b|\boffline\b|\bin person\b|门店|线下|实体店",
}

CATEGORY_ALIASES: dict[str, str] = {
    "Electronics": r"\belectronics?\b|\bgadgets?\b|\btech\b|\bdevices?\b|电子产品|电子|数码|电器",
    "Home": r"\bhome(?:ware|wares| goods| & living| and living| decor)?\b(?! page)|\bhousehold\b|\bfurniture\b|\bkitchen\b|家居|家庭用品|家装|厨房",
    "Fashion": r"\bfashion\b|\bclothing\b|\bclothes\b|\bapparel\b|\bshoes\b|\bwear\b|时尚|服装|服饰|衣服|鞋",
    "Beauty": r"\bbeauty\b|\bcosmetics?\b|\bskin ?care\b|\bmake-?up\b|\bfragrance\b|美妆|化妆品|护肤|美容",
    "Sports": r"\bsports?\b|\bsporting goods\b|\bfitness\b|\boutdoors?\b|\bgym\b|运动|体育|健身|户外",
    "Books": r"\bbooks\b|\bbook\b(?!\s+(?:a|an|me|us|my|our)\b)|\breading\b|\bnovels?\b|图书|书籍|书本|读书",
    "Toys": r"\btoys?\b|\bgames?\b(?! night)|\bkids'? (?:stuff|products)\b|玩具|游戏",
    "Grocery": r"\bgrocer(?:y|ies)\b|\bfood\b|\bsnacks?\b|\bpantry\b|\bdrinks?\b|食品|杂货|生鲜|零食|食物|日用百货",
}

# Chinese shortens a grouping to one character right after 各 / 每 / 分 / 按 ("各国的营收" = revenue by country,
# "各市" = by city): the short forms, read as the dimension only right after such a word
ZH_SHORT_DIMENSIONS: dict[str, str] = {"国": "country", "市": "city"}

# group-by dimension of segment_summary / kpi_trend
BY_CUES: dict[str, str] = {
    "tier": r"\b(?:value )?tiers?\b|价值分层|分层|等级|层级|价值层|档位",
    "segment": r"\b(?:rfm )?segments?\b|\brfm\b|细分|分群|rfm",
    "persona": r"\bpersonas?\b|\bclusters?\b|画像|人群|用户类型|客群",
    "churn_risk": r"\b(?:churn )?risk (?:bands?|levels?|groups?)\b|\bchurn risk\b|\bchurn bands?\b|风险等级|风险分组|流失风险",
    "country": r"\bcountr(?:y|ies)\b|\bmarkets?\b|\bregions?\b|\bgeograph(?:y|ies)\b|\bnations?\b|国家|地区|市场|区域",
    "channel": r"\bchannels?\b|\bsales channels?\b|渠道",
    "category": r"\bcategor(?:y|ies)\b|\bproduct (?:lines?|groups?|types?)\b|\bdepartments?\b|品类|类目|类别|产品线",
}

METRIC_CUES: dict[str, str] = {
    "new_customers": r"\bnew (?:customers?|buyers?|shoppers?|clients?|signups?|sign-ups?)\b|\bacquisition\b|\bacquired\b|\bfirst[- ]time (?:buyers|customers)\b|\b(?:did we |we )?(?:gain|get|got|win|won|add|added|acquire)\w* (?:\d+ )?(?:new )?(?:customers|clients|buyers)\b|新客户?数?|新增(?:了)?(?:多少)?(?:个|位|名)?(?:客户|顾客|用户)|获客|拉新|新顾客|新用户",
    "repeat_rate": r"\brepeat(?: purchase)? rate\b|\brepeat (?:buyers|purchases|customers)\b|\breturning customers\b|\bre-?purchase\b|复购|回购|重复购买",
    "aov": r"\baov\b|\baverage (?:order|basket) (?:value|size)\b|\bbasket size\b|\baverage spend per order\b|\bticket size\b|客单价|平均订单金额|笔单价",
    "orders": r"\b(?:number of )?orders\b|\border (?:counts?|volumes?|numbers?)\b|\btransactions\b|\bpurchases\b|订单|单量|下单量",
    "customers": r"\bcustomer (?:growth|base growth)\b|\b(?:active )?customers\b|\bbuyers\b|\bshoppers\b|\bcustomer count\b|活跃客户|客户数|顾客数|购买人数|买家数",
    "revenue": r"\brevenue\b|\bsales\b|\bturnover\b|\bincome\b|\bgmv\b|\bearnings\b|\bmoney\b|营收|收入|销售额|营业额|业绩|流水|gmv",
}

PERIOD_CUES: dict[str, str] = {
    "day": r"\bdaily\b|\b(?:per|each|every|by(?: the)?) day\b|\bday by day\b|\bday[- ]over[- ]day\b|\bday[- ]to[- ]day\b|每天|每日|按天|按日|日度|逐日",
    "week": r"\bweekly\b(?! (?:review|meeting|sync|deck|planning|business review|board))|\b(?:per|each|every|by(?: the)?) week\b|\bweek by week\b|\bweek[- ]over[- ]week\b|\bweek[- ]to[- ]week\b|\bweek[- ]on[- ]week\b|\bwow\b|每周|按周|周度|每星期|逐周",
    "month": r"\bmonthly\b(?! (?:review|meeting|sync|deck|planning|business review|board))|(?<![\d个上下本这当每前后近])月(?:度)?(?=销售|营收|收入|订单|新客|gmv|复购|活跃|客单价)|\b(?:per|each|every|by(?: the)?) month\b|\bmonth by month\b|\bmonth[- ]over[- ]month\b|\bmonth[- ]to[- ]month\b|\bmonth[- ]on[- ]month\b|\bmom\b|每月|按月|月度|逐月|每个月|月留存",
    "quarter": r"\bquarterly\b(?! (?:review|meeting|sync|deck|planning|business review|board|okrs?))|\b(?:per|each|every|by(?: the)?) quarter\b|\bquarter by quarter\b|\bquarter[- ]over[- ]quarter\b|\bquarter[- ]to[- ]quarter\b|\bquarter[- ]on[- ]quarter\b|\bqoq\b|每季度|按季度|各季度|分季度|每个季度|逐季|(?<![上下本这])(?<!个)季度(?:的)?(?:趋势|变化|走势|统计|数据|留存|同期群|客户留存)",
}

MODEL_CUES: dict[str, str] = {
    "churn": r"\bchurn\b|\bchurning\b|\bchurn probability\b|流失",
    "clv": r"\bclv\b|\bltv\b|\blifetime value\b|\bcustomer value\b|\bbg/?nbd\b|\bgamma[- ]gamma\b|\bvalue (?:model|forecast|prediction)\b|生命周期价值|终身价值|客户价值(?:模型|预测)|价值预测|clv|ltv",
    "tiers": r"\btiers?\b|\bvalue tiers?\b|\bhigh/mid/low\b|价值分层|分层|等级|层级",
    "segments": r"\bsegments?\b|\brfm\b|细分|分群|rfm",
    "personas": r"\bpersonas?\b|\bclusters?\b|\bclustering\b|\bk-?means\b|画像|人群|聚类",
    "recommendations": r"\brecommend\w*|\brecommender\b|\bhit[- ]rate\b|推荐",
}

# A sale or a shopping festival is news to announce, whoever hears it: it outranks the goals that words like
# "exclusive", "reward", 会员, 专属 or 感谢 suggest ("VIP专属双十一短信" announces Singles' Day, it is no loyalty note).
# Text is normalised first: 双十一 reads 双11, 黑五 reads 黑5.
PROMOTION = (r"\bblack friday\b|\bcyber monday\b|\bcyber week\b|\bsingles'? ?day\b|\bdouble (?:11|12)\b|\b11[./]11\b|\b12[./]12\b|\b618\b"
             r"|\bprime day\b|\bboxing day\b|\b(?:christmas|xmas|holiday|new year'?s?|easter|valentine'?s?(?: day)?|mother'?s day|father'?s day|labou?r day"
             r"|memorial day|back[- ]to[- ]school|end[- ]of[- ](?:season|year)|mid[- ]year|anniversary|clearance|flash|summer|winter|spring|autumn|fall)"
             r" (?:sale|promo(?:tion)?|deals?|offers?|event|campaign|special)s?\b|\bclearance\b|\bdoorbusters?\b"
             r"|双1[12]|双十[一二]|618|黑5|黑五|黑色星期(?:5|五)|网络星期一|年货节|春节|中秋|国庆|七夕|情人节|母亲节|父亲节|女神节|38节|圣诞|元旦|开学季"
             r"|\b(?:big|huge|mega) sale\b|\bsale\b|\bpromo(?:tion)?s?\b"
             r"|周年庆|店庆|清仓|秒杀|限时抢购|年中大?促|年终大?促|狂欢节|购物节|大促|促销|特卖|折扣季")
GOALS_A_PROMOTION_OUTRANKS = ("retention", "loyalty")

# Named shopping occasions the copy should mention: (pattern over the normalised text, English name,
# Chinese name). The name goes in front of the offer ("Black Friday: 25% off"), or stands as the news.
OCCASIONS: list[tuple[str, str, str]] = [
    (r"\bblack friday\b|黑5|黑五|黑色星期(?:5|五)", "Black Friday", "黑五"),
    (r"\bcyber monday\b|网络星期一", "Cyber Monday", "网络星期一"),
    (r"\bsingles'? ?day\b|\bdouble 11\b|\b11[./]11\b|双11|双十一", "Singles' Day", "双十一"),
    (r"\bdouble 12\b|\b12[./]12\b|双12|双十二", "Double 12", "双十二"),
    (r"\b618\b|618", "618", "618"),
    (r"\bprime day\b", "Prime Day", "会员日"),
    (r"\bboxing day\b", "Boxing Day", "节礼日"),
    (r"\b(?:christmas|xmas)\b|圣诞", "Christmas", "圣诞"),
    (r"\bchinese new year\b|\blunar new year\b|\bspring festival\b|春节|年货节", "Lunar New Year", "春节"),
    (r"\bnew year'?s?\b|元旦", "New Year", "元旦"),
    (r"\bmid[- ]autumn\b|中秋", "Mid-Autumn Festival", "中秋"),
    (r"\bvalentine'?s?(?: day)?\b|情人节|七夕", "Valentine's Day", "情人节"),
    (r"\bmother'?s day\b|母亲节", "Mother's Day", "母亲节"),
    (r"\bfather'?s day\b|父亲节", "Father's Day", "父亲节"),
    (r"\beaster\b", "Easter", "复活节"),
    (r"\bback[- ]to[- ]school\b|开学季", "Back to School", "开学季"),
    (r"\banniversary\b|周年庆|店庆", "anniversary", "周年庆"),
]

GOAL_CUES: dict[str, str] = {
    "winback": r"\bwin[- ]?(?:them |customers |it )?back\b|\bre-?engage\w*|\breactivat\w*|\bbring (?:them |customers )?back\b|\bcome back\b|\bwe miss you\b|\blure (?:them )?back\b|\brecover\b|召回|挽回|唤醒|赢回|拉回|回流|激活",
    "retention": r"\bretention\b|\bretain\b|\bkeep (?:them|customers)\b|\bstay\b|\bprevent churn\b|\breduce churn\b|留住|保留|挽留|防流失|留存",
    "upsell": r"\bup-?sell\w*|\bupgrade\b|\bpremium version\b|追加销售|升级|向上销售",
    "cross_sell": r"\bcross[- ]?sell\w*|\bcomplementary\b|\brelated products\b|交叉销售|搭配销售|关联销售",
    "welcome": r"\bwelcome\b|\bonboard\w*|\bfirst purchase\b|\bgreeting\b|欢迎|迎新|入会|新人礼",
    "loyalty": r"\bloyalty\b|\bthank(?:s| you)?\b|\bappreciation\b|\breward\w*|\bvip (?:perks|program|programme|treatment)\b|\bmembers? (?:perks|program|programme|care)\b|\bexclusive\b|会员|关怀|感谢|忠诚度?计划|积分|回馈|答谢|专属",
    "announcement": r"\bannounc\w*|\blaunch\w*|\bnew (?:collection|arrivals|product|range)\b|\bevent\b|公告|宣布|上新|新品|发布|活动通知|" + PROMOTION,
}

MESSAGE_CHANNEL_CUES: dict[str, str] = {
    "sms": r"\bsms\b|\btext messages?\b|\btexts?\b(?! (?:of|in))|\bmobile message\b|短信|短消息|简讯",
    "push": r"(?<!should we )(?<!could we )(?<!can we )(?<!to )\bpush(?:es)?\b(?!\s+(?:\w+\s+){0,2}?(?:products?|items?|goods|skus?)\b)|\bpush notifications?\b|\bapp notifications?\b|\bin-app (?:message|notification)\b|\bnotifications?\b|推送|推播|通知栏|app通知|消息推送",
    "email": r"\be-?mails?\b|\bnewsletters?\b|\bsubject lines?\b|\bpreheaders?\b|\bmailers?\b|\bedm\b|邮件|电子邮件|电子报|邮箱|标题|edm",
}

TONE_CUES: dict[str, str] = {
    "friendly": r"\bfriendl(?:y|ier)\b|\bwarm(?:er)?\b|\bcasual\b|\brelaxed\b|\bconversational\b|亲切|友好|温暖|温馨|轻松|随意|口语化|接地气",
    "formal": r"\bformal\b|\bprofessional\b|\bserious\b|正式|专业|庄重",
    "playful": r"\bplayful\b|\bfun\b|\bwitty\b|\bcheeky\b|\bhumou?rous\b|活泼|俏皮|幽默|有趣",
    "urgent": r"\burgent\b|\burgency\b|\bfomo\b|\blast chance\b|紧迫|紧急|限时",
    "luxurious": r"\bluxur\w+\b|\bpremium tone\b|\belegant\b|\bexclusive tone\b|高端大气|奢华|优雅",
}

# The two sides of an A/B test: the baseline (a) and the challenger (b), however they are named.
# Text after a side's name up to the next side's name holds that side's numbers.
_AB_THING = r"(?:version|variant|group|arm|option|cell|bucket|page|landing page|design|layout|site|flow|checkout|copy|e-?mail|subject(?: line)?|button|banner|headline|template|creative|offer|price)"
# "the old one got 80", "the new: 95 of 3000": a side named by its age alone, before what it did
_SIDE_VERB = r"got|had|has|saw|brought|converted|led|drove|generated|produced|made|did|reached|won|earned|with"
AB_SIDE_CUES: dict[str, str] = {
    "a": rf"\b(?:variant|version|group|arm|option|cell|bucket|page|design)\s+(?:a|1)\b|(?<![a-z0-9/])a\s*(?::|组|版本?|方案|had|has|got|saw|with|-|=|\(|，|,)|(?<![\w/'])a(?=\s+\d)"
         rf"|\bcontrol(?:\s+(?:group|arm|version|cell|page))?\b|\b(?:original|baseline|incumbent|champion)\b(?:\s+{_AB_THING}\b)?"
         rf"|\b(?:old|current|existing)\s+(?:[\w-]+\s+)?{_AB_THING}s?\b|\b(?:first|1st)\s+{_AB_THING}\b"
         rf"|\b(?:old|original|current|existing)(?:\s+(?:one|1|version))?(?=\s+(?:{_SIDE_VERB})\b|\s*[:(])"
         r"|(?:版本|方案|版|组|页面|文案|标题)\s*a(?![a-z])|(?<![\u4e00-\u9fff])(?:旧|老|原来)的(?=\s*\d|[,，:：\s])|对照组|控制组|对照|原版本?|旧版本?|老版本?|原(?:来的|有的?)?(?:页面|方案|设计|文案|版本)|(?:旧|老)的?(?:页面|方案|设计|文案)"
         r"|(?:方案|版本|组)\s*(?:1(?!\d)|一)|第\s*(?:1|一)\s*(?:组|个?版本?|个方案)",
    "b": rf"\b(?:variant|version|group|arm|option|cell|bucket|page|design)\s+(?:b|2)\b|(?<![a-z0-9/])b\s*(?::|组|版本?|方案|had|has|got|saw|with|-|=|\(|，|,)|(?<![\w/'])b(?=\s+\d)"
         rf"|\b(?:treatment|challenger)(?:\s+(?:group|arm|version|cell|page))?\b|\bvariant(?!\s+(?:a|b|1|2)\b)(?:\s+(?:group|arm|page))?\b"
         rf"|\bnew(?:\s+(?:one|1|version))?(?=\s+(?:{_SIDE_VERB})\b|\s*[:(])"
         rf"|\btest\s+(?:group|arm|version|variant|cell|page)\b|(?:(?<=vs )|(?<=vs\. )|(?<=versus )|(?<=, )|(?<=; )|(?<=and ))test(?=\s*[:(=]|\s+\d)|\bnew\s+(?:[\w-]+\s+)?{_AB_THING}s?\b|\bredesign(?:ed)?(?:\s+{_AB_THING})?\b|\b(?:second|2nd)\s+{_AB_THING}\b"
         r"|(?:版本|方案|版|组|页面|文案|标题)\s*b(?![a-z])|(?<![\u4e00-\u9fff])新的(?=\s*\d|[,，:：\s])|实验组|测试组|试验组|新版本?|改版(?:后)?(?:的)?(?:页面|版本)?|新的?(?:页面|方案|设计|文案)"
         r"|(?:方案|版本|组)\s*(?:2(?!\d)|二)|第\s*(?:2|二)\s*(?:组|个?版本?|个方案)",
}

OFFER_PATTERNS: list[str] = [
    r"(?:with|offering|offer(?:ing)? of|include|including|and|plus|giving|give them|featuring)\s+(?:a |an )?((?:\d+(?:\.\d+)?\s?%|(?:\$|€|£)\s?\d+(?:\.\d+)?|\d+(?:\.\d+)?\s?(?:dollars?|euros?|pounds?|usd|eur))\s+(?:off|discount)(?:\s+on\s+[\w\s-]{1,30}?)?)(?=$|[,.;!?]|\s+(?:and|to|for|in|as|with|code|that|which|using)\b)",
    r"((?:\d+(?:\.\d+)?\s?%|(?:\$|€|£)\s?\d+(?:\.\d+)?|\d+(?:\.\d+)?\s?(?:dollars?|euros?|pounds?))\s+(?:off|discount)\b)",
    r"\b(free (?:shipping|delivery|returns|gift|sample)s?)\b",
    r"((?:a\s+)?(?:\$|€|£)\s?\d+(?:\.\d+)?\s+(?:coupon|voucher|gift card|credit))",
    r"(buy \d+ get \d+(?: free)?|bogo)",
    r"(满\d+减\d+|\d+(?:\.\d+)?折|[一二三四五六七八九]折|\d+(?:\.\d+)?%\s*(?:的)?折扣|\d+\s*(?:元|块)(?:钱)?(?:的)?(?:优惠券|代金券|红包|立减|优惠|券)|包邮|免运费|免邮|赠品|买\d+送\d+)",
]
