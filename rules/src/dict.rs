//! Static dictionaries for the free-text detectors: Chinese surnames (to confirm that a value
//! labelled as a name is one), licence-plate province abbreviations, address marker characters and
//! province names. Everything is a sorted static table or a `match`, so a lookup is a binary search
//! or a jump table and never allocates: these run on every name, plate and address candidate.

/// Surnames of more than two characters (Manchu clan names still used as surnames). Checked before
/// the two-character table because they are not prefixes of anything in it.
const LONG_SURNAMES: &[&str] = &["爱新觉罗", "叶赫那拉"];

/// A word of up to 15 bytes as one integer: its bytes big-endian, zero-padded, and its length
/// in the last byte. Han text holds no zero byte, so the integers sort as the words do and a
/// sorted table stays sorted: a lookup is a binary search over integers, with no string
/// comparison (a `memcmp` call each) at every step. These run on every value under a name key.
const fn pack(w: &[u8]) -> u128 {
    assert!(w.len() <= 15, "a packed word is at most 15 bytes");
    let mut x = 0u128;
    let mut i = 0;
    while i < 15 {
        x = (x << 8) | if i < w.len() { w[i] as u128 } else { 0 };
        i += 1;
    }
    (x << 8) | w.len() as u128
}

/// [`pack`] over a sorted table, at compile time.
const fn pack_all<const N: usize>(words: &[&str]) -> [u128; N] {
    let mut out = [0u128; N];
    let mut i = 0;
    while i < N {
        out[i] = pack(words[i].as_bytes());
        i += 1;
    }
    out
}

/// [`pack`] over a table in any order, sorted at compile time (insertion sort: the tables
/// are small), for lists kept in groups with their reasons rather than in byte order.
const fn pack_sorted<const N: usize>(words: &[&str]) -> [u128; N] {
    let mut out = pack_all::<N>(words);
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && out[j - 1] > out[j] {
            let t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    out
}

/// Whether `w` is in `table` (a [`pack_all`] table).
fn packed_contains(table: &[u128], w: &str) -> bool {
    w.len() <= 15 && table.binary_search(&pack(w.as_bytes())).is_ok()
}

const COMPOUND_PACKED: [u128; COMPOUND_SURNAMES.len()] = pack_all(COMPOUND_SURNAMES);
const CODE_TABLE_PACKED: [u128; CODE_TABLE_WORDS.len()] = pack_all(CODE_TABLE_WORDS);
const MINORITY_PACKED: [u128; MINORITY_NAME_PARTS.len()] = pack_all(MINORITY_NAME_PARTS);

/// Two-character (compound) surnames from the 百家姓 plus a few common modern ones (独孤, 完颜,
/// 耶律), and their traditional forms (歐陽, 司馬). Sorted by bytes for binary search; a unit
/// test keeps it sorted.
const COMPOUND_SURNAMES: &[&str] = &[
    "万俟", "上官", "东方", "东郭", "东门", "乐正", "亓官", "仉督", "令狐", "仲孙", "仲孫", "伯賞",
    "伯赏", "公冶", "公孙", "公孫", "公羊", "公良", "公西", "单于", "南宫", "南宮", "南門", "南门",
    "司寇", "司徒", "司空", "司馬", "司马", "呼兰", "呼延", "呼蘭", "商牟", "單于", "壤駟", "壤驷",
    "夏侯", "太叔", "夹谷", "夾谷", "子車", "子车", "宇文", "完顏", "完颜", "宗政", "宰父", "尉迟",
    "尉遲", "左丘", "巫馬", "巫马", "归海", "微生", "慕容", "拓跋", "有琴", "東方", "東郭", "東門",
    "梁丘", "樂正", "欧阳", "歐陽", "歸海", "段干", "淳于", "漆雕", "澹台", "澹臺", "濮阳", "濮陽",
    "独孤", "獨孤", "申屠", "百里", "皇甫", "端木", "第五", "羊舌", "耶律", "聞人", "西門", "西门",
    "諸葛", "诸葛", "谷梁", "赫连", "赫連", "軒轅", "轩辕", "鍾離", "钟离", "長孫", "长孙", "閭丘",
    "闻人", "闾丘", "顓孫", "颛孙", "鮮于", "鲜于",
];

/// Single-character surnames: every single surname of the 百家姓 plus those that are frequent
/// today but missing from it (付, 肖, 覃, 兰, 代, 冼, 邝, 卿, 鹿, 来, 盘, 闭, ...), about 550 in all, which covers
/// well over 99% of the population, and their traditional forms (劉, 張, 陳, 黃: Hong Kong,
/// Macao and Taiwan residents' names, and records typed in traditional characters), except
/// where the surname keeps its simplified form (余, 范, 岳, 朴, not 餘, 範, 嶽, 樸). Sorted by code point for binary search; a unit test keeps it
/// sorted.
const SINGLE_SURNAMES: &[char] = &[
    '丁', '万', '丘', '丛', '东', '严', '丰', '么', '乌', '乐', '乔', '乜', '习', '买', '于', '云',
    '亓', '井', '亢', '仇', '仉', '从', '付', '仝', '代', '仰', '仲', '任', '伊', '伍', '伏', '伦',
    '但', '位', '何', '佘', '余', '佟', '佴', '來', '依', '侯', '俞', '信', '修', '俸', '倪', '倫',
    '傅', '储', '儲', '元', '充', '党', '全', '公', '兰', '关', '兴', '养', '冀', '冉', '冒', '农',
    '冯', '况', '冶', '冷', '冼', '凌', '凡', '凤', '刀', '刁', '刘', '初', '別', '利', '别', '劉',
    '劳', '勞', '勾', '包', '匡', '区', '區', '华', '卓', '单', '南', '卜', '卞', '占', '卢', '卫',
    '印', '危', '卻', '卿', '厉', '厍', '厙', '原', '厲', '双', '叢', '古', '史', '叶', '司', '吉',
    '后', '向', '吕', '吳', '吴', '呂', '员', '周', '呼', '和', '咸', '哈', '員', '唐', '商', '喬',
    '單', '喻', '嚴', '国', '國', '堯', '堵', '墨', '壽', '夏', '夔', '奉', '奚', '姚', '姜', '姬',
    '娄', '婁', '孔', '孙', '孟', '季', '孫', '宁', '宇', '安', '宋', '宓', '宗', '官', '宣', '宦',
    '宫', '宮', '宰', '家', '容', '宾', '宿', '寇', '富', '寧', '寻', '寿', '封', '尉', '尋', '尚',
    '尤', '尧', '尹', '居', '屈', '展', '屠', '山', '岑', '岳', '崔', '嵇', '巢', '左', '巩', '巫',
    '巴', '帅', '师', '帖', '帥', '師', '席', '常', '干', '平', '年', '幸', '幺', '广', '庄', '库',
    '应', '庞', '庫', '康', '庹', '庾', '廉', '廖', '廣', '延', '弓', '弘', '张', '張', '強', '强',
    '彭', '徐', '從', '怀', '惠', '愛', '慎', '慕', '應', '懷', '戈', '戎', '成', '战', '戚', '戰',
    '戴', '房', '扈', '扬', '扶', '揚', '揣', '揭', '撒', '支', '敖', '敬', '文', '斯', '方', '於',
    '施', '时', '旷', '昌', '明', '易', '昝', '星', '昭', '晁', '時', '晉', '晋', '晏', '普', '景',
    '智', '暨', '暴', '曠', '曲', '曹', '曾', '有', '木', '朱', '朴', '权', '李', '杜', '束', '来',
    '杨', '杭', '東', '松', '林', '柏', '查', '柯', '柳', '柴', '栗', '校', '栾', '桂', '桑', '桓',
    '梁', '梅', '植', '楊', '楚', '楼', '榮', '樂', '樊', '樓', '檀', '權', '欒', '欧', '欽', '歐',
    '步', '武', '殳', '段', '殷', '毋', '母', '毕', '毛', '水', '汝', '江', '池', '汤', '汪', '汲',
    '沃', '沈', '沙', '況', '法', '泽', '洪', '浦', '海', '涂', '淦', '温', '游', '湛', '湯', '溫',
    '滑', '滕', '满', '滿', '漆', '潘', '澤', '濮', '烏', '焦', '熊', '燕', '爱', '牛', '牟', '牧',
    '狄', '玄', '玉', '王', '班', '璩', '甄', '甘', '田', '由', '申', '畢', '白', '皮', '益', '盖',
    '盘', '盛', '盤', '盧', '相', '眭', '瞿', '矫', '矯', '石', '祁', '祖', '祝', '祿', '禄', '福',
    '禤', '禹', '秋', '秦', '稅', '程', '税', '穆', '空', '窦', '竇', '章', '童', '竹', '竺', '符',
    '笪', '简', '管', '簡', '籍', '米', '粘', '粟', '糜', '紀', '紅', '納', '索', '終', '經', '綦',
    '線', '緱', '練', '繆', '續', '红', '纪', '纳', '线', '练', '终', '经', '续', '缑', '缪', '罗',
    '羅', '羊', '羿', '翁', '習', '翟', '耿', '聂', '聞', '聶', '肖', '胡', '胥', '能', '臧', '興',
    '舒', '艾', '芦', '芮', '花', '苍', '苏', '苑', '苗', '苟', '英', '范', '茅', '茹', '荀', '荆',
    '荊', '荣', '莊', '莘', '莫', '菅', '華', '萧', '萬', '葉', '葛', '董', '蒋', '蒙', '蒯', '蒲',
    '蒼', '蒿', '蓋', '蓝', '蓟', '蓬', '蔚', '蔡', '蔣', '蔺', '蕭', '薄', '薊', '薛', '藍', '藺',
    '蘆', '蘇', '蘭', '虎', '虞', '融', '衛', '衡', '衣', '袁', '裘', '裴', '褚', '要', '覃', '解',
    '言', '計', '許', '訾', '詹', '談', '諶', '諸', '謝', '譙', '譚', '计', '许', '诸', '谈', '谌',
    '谢', '谭', '谯', '谷', '豆', '豐', '貝', '貢', '買', '費', '賀', '賁', '賈', '賓', '賴', '賽',
    '贝', '贡', '贲', '费', '贺', '贾', '赖', '赛', '赫', '赵', '越', '趙', '路', '蹇', '車', '车',
    '辛', '辜', '農', '边', '达', '过', '连', '迟', '逄', '通', '逢', '連', '逯', '過', '達', '遲',
    '邊', '邓', '邝', '邢', '那', '邬', '邰', '邱', '邴', '邵', '邸', '邹', '郁', '郄', '郇', '郈',
    '郎', '郏', '郑', '郗', '郜', '郝', '郟', '郦', '郭', '都', '鄂', '鄒', '鄔', '鄢', '鄧', '鄭',
    '鄺', '酆', '酈', '野', '金', '鈄', '鈕', '銀', '錢', '鍾', '鐘', '鐵', '钟', '钦', '钭', '钮',
    '钱', '铁', '银', '門', '閃', '閆', '閉', '閔', '閻', '闕', '關', '闞', '门', '闪', '闫', '闭',
    '闵', '闻', '阎', '阙', '阚', '阮', '阳', '阴', '阿', '陆', '陈', '陰', '陳', '陶', '陸', '陽',
    '隆', '隋', '隗', '雍', '雒', '雙', '雲', '雷', '霍', '靖', '靳', '鞏', '鞠', '韋', '韓', '韦',
    '韩', '韶', '項', '須', '顏', '顧', '项', '须', '顾', '颜', '養', '饒', '饶', '馬', '馮', '駱',
    '騫', '马', '骆', '骞', '高', '鬱', '魏', '魚', '魯', '鮑', '鮮', '鱼', '鲁', '鲍', '鲜', '鳳',
    '鹿', '麥', '麦', '麴', '麻', '黃', '黄', '黎', '齊', '齐', '龍', '龐', '龔', '龙', '龚',
];

/// Byte length of the Chinese surname at the start of `s`, or `None` if `s` does not start with
/// one. Longer surnames win (欧阳锋 → 欧阳, not 欧), following the usual reading of a name; a
/// given name that happens to start with the second character of a compound surname is rare
/// enough to accept.
pub fn surname_len(s: &str) -> Option<usize> {
    if let Some(long) = LONG_SURNAMES.iter().find(|long| s.starts_with(**long)) {
        return Some(long.len());
    }
    let first = s.chars().next()?;
    let first_len = first.len_utf8();
    if let Some(second) = s.get(first_len..).and_then(|rest| rest.chars().next()) {
        let two = first_len + second.len_utf8();
        if let Some(prefix) = s.get(..two) {
            if packed_contains(&COMPOUND_PACKED, prefix) {
                return Some(two);
            }
        }
    }
    SINGLE_SURNAMES
        .binary_search(&first)
        .is_ok()
        .then_some(first_len)
}

/// Characters common in Han given names (伟, 秀, 英, 建, 国, 桂, 兰…), about 550: the
/// characters parents choose for their sense (virtues, seasons, jade, flowers, landscape),
/// without the function words and common verbs (在, 到, 向, 的, 时, 年…) that follow a name
/// in a sentence, nor the characters that mostly make words (业, 理, 实, 学, 心, 方, 天…).
/// Sorted, for `binary_search`.
const GIVEN_NAME_CHARS: &[char] = &[
    '东', '丰', '丹', '丽', '久', '义', '乐', '书', '云', '亮', '仁', '仕', '仪', '仲', '伊', '伟',
    '伦', '伯', '佳', '侃', '依', '侠', '俊', '俏', '俐', '倩', '健', '儒', '元', '兆', '光', '克',
    '兰', '兴', '兵', '典', '冉', '军', '冠', '冬', '冰', '凌', '凡', '凤', '凯', '凰', '刚', '利',
    '剑', '力', '功', '励', '劲', '勇', '勋', '勤', '华', '卓', '博', '卫', '友', '双', '叶', '吉',
    '君', '吟', '启', '咏', '哲', '唯', '善', '喆', '喜', '嘉', '国', '坚', '坤', '垚', '城', '培',
    '基', '堂', '堃', '增', '墨', '壮', '夏', '大', '奇', '奕', '奥', '如', '妍', '妙', '妮', '姗',
    '姣', '姿', '威', '娅', '娇', '娜', '娟', '娣', '娥', '娴', '婉', '婕', '婧', '婵', '婷', '媛',
    '嫣', '嫦', '子', '孜', '孝', '宁', '宇', '安', '宏', '宜', '宝', '宣', '宪', '家', '宸', '容',
    '宽', '宾', '寅', '富', '寒', '寿', '小', '尚', '尧', '山', '岚', '岩', '岭', '岳', '峰', '峻',
    '崇', '嵘', '嵩', '巍', '川', '巧', '帅', '帆', '希', '平', '庆', '庭', '康', '廉', '延', '建',
    '弘', '强', '彤', '彦', '彧', '彩', '彪', '彬', '彰', '影', '征', '德', '忆', '志', '忠', '思',
    '怡', '恒', '恩', '恬', '悠', '悦', '惟', '惠', '想', '愉', '慧', '成', '才', '承', '抒', '振',
    '捷', '政', '敏', '敬', '文', '斌', '斐', '新', '旗', '旭', '旺', '昂', '昆', '昊', '昌', '明',
    '昕', '星', '春', '昭', '昱', '昶', '晋', '晏', '晓', '晖', '晗', '晟', '晨', '景', '晴', '晶',
    '智', '暄', '暖', '曦', '曼', '月', '朋', '朗', '朝', '朴', '杉', '杨', '杰', '杲', '松', '林',
    '柏', '柔', '柳', '栋', '树', '栩', '根', '桂', '桐', '桦', '梁', '梅', '梓', '梦', '梧', '梨',
    '棋', '森', '楚', '楠', '榆', '榕', '樱', '欢', '欣', '歌', '正', '武', '毅', '民', '永', '汉',
    '江', '沁', '沐', '沛', '沫', '河', '泉', '泓', '波', '泰', '泽', '洁', '洋', '津', '洪', '洲',
    '浩', '浪', '海', '涛', '润', '涵', '淑', '深', '淳', '淼', '清', '渊', '港', '湉', '湖', '湘',
    '源', '溪', '满', '滨', '漫', '潇', '潮', '澈', '澜', '炎', '炜', '烨', '焕', '然', '煜', '煦',
    '熙', '燊', '燕', '爱', '爽', '牧', '犇', '玄', '玉', '玥', '玮', '环', '玲', '珂', '珊', '珍',
    '珏', '珑', '珠', '珺', '琛', '琢', '琦', '琪', '琮', '琰', '琳', '琴', '琼', '瑄', '瑛', '瑜',
    '瑞', '瑶', '瑾', '璇', '璋', '璐', '璟', '甜', '甫', '畅', '皓', '盈', '盛', '睿', '瞳', '石',
    '硕', '磊', '礼', '祎', '祥', '祯', '禄', '福', '禹', '秀', '秋', '立', '竣', '竹', '笑', '笛',
    '筠', '粲', '紫', '红', '纯', '纲', '绮', '维', '绵', '美', '羡', '群', '羽', '翀', '翊', '翔',
    '翠', '翰', '翼', '耀', '聪', '胜', '腾', '臻', '舒', '舞', '舟', '航', '良', '艳', '艺', '芃',
    '芊', '芝', '芬', '芮', '芯', '花', '芳', '芸', '苑', '苗', '若', '英', '茂', '茜', '茹', '荣',
    '荷', '莉', '莎', '莲', '莹', '莺', '菁', '菊', '菲', '萌', '萍', '萧', '萱', '葵', '蒙', '蓉',
    '蓓', '蓝', '蔚', '蕊', '蕾', '薇', '虎', '虹', '蝶', '衡', '裕', '诗', '诚', '诺', '谦', '豪',
    '贝', '贞', '财', '贤', '贵', '赋', '超', '越', '跃', '轩', '辉', '辰', '达', '进', '远', '迪',
    '逍', '逸', '邦', '郁', '采', '金', '鑫', '钢', '钧', '钰', '铁', '铄', '铜', '铭', '银', '锋',
    '锐', '锦', '镇', '阔', '阳', '隆', '雁', '雄', '雅', '雍', '雨', '雪', '雯', '雷', '霄', '霆',
    '霏', '霖', '霜', '霞', '露', '青', '靓', '靖', '静', '韦', '韬', '韵', '顺', '颂', '颖', '风',
    '飞', '香', '馨', '驰', '骁', '骏', '骞', '鸣', '鸥', '鸾', '鸿', '鹃', '鹏', '鹤', '鹰', '麟',
    '黎', '鼎', '龙',
];

/// The hundred commonest Han surnames (about 87 % of people) and 于: the surnames a name
/// that stands on its own shape alone may have. Sorted, for `binary_search`.
const COMMON_SURNAMES: &[char] = &[
    '丁', '万', '严', '于', '任', '何', '余', '侯', '傅', '冯', '刘', '卢', '史', '叶', '吕', '吴',
    '周', '唐', '夏', '姚', '姜', '孔', '孙', '孟', '宋', '尹', '崔', '廖', '张', '彭', '徐', '戴',
    '方', '曹', '曾', '朱', '李', '杜', '杨', '林', '梁', '武', '段', '毛', '江', '汪', '沈', '洪',
    '潘', '熊', '王', '田', '白', '石', '秦', '程', '罗', '胡', '苏', '范', '莫', '萧', '董', '蒋',
    '蔡', '薛', '袁', '覃', '许', '谢', '谭', '贺', '贾', '赖', '赵', '邓', '邱', '邵', '邹', '郑',
    '郝', '郭', '金', '钟', '钱', '阎', '陆', '陈', '陶', '雷', '鞠', '韦', '韩', '顾', '马', '高',
    '魏', '黄', '黎', '龙', '龚',
];

/// Whether `v` is a child's name of the parents' two surnames and a given name of two
/// (`张王秀英`, `张李一诺`, `刘吴春梅`, `汤简梓轩`), as many parents now name children: two
/// surnames, both given characters common in names. Any surname, not only the commonest:
/// parents with a rarer one (汤, 简, 管, 麻) name children so as much, and this is asked
/// only of a value under a field or a label named for a person, where a firm's or a
/// place's name (`江苏恒瑞`, `钱江新城`, which pass either way) is not.
pub fn double_surname_name(v: &str) -> bool {
    let mut cs = v.chars();
    match (cs.next(), cs.next(), cs.next(), cs.next(), cs.next()) {
        (Some(a), Some(b), Some(c), Some(d), None) => {
            [a, b]
                .iter()
                .all(|s| SINGLE_SURNAMES.binary_search(s).is_ok())
                && [c, d]
                    .iter()
                    .all(|g| GIVEN_NAME_CHARS.binary_search(g).is_ok())
        }
        _ => false,
    }
}

/// Whether `v` is one of the hundred commonest surnames and a given name of two characters
/// whose last is common in names, the first any (`郝关山`, `冯向阳`: 关 and 向 are rarer in
/// names, or verbs). Weaker than [`name_shaped`]: asked only where a person's label and
/// the text's shape around it both say a name stands (a line holding a label and a name,
/// a name before a reporting verb).
pub fn common_surname_name(v: &str) -> bool {
    let mut cs = v.chars();
    match (cs.next(), cs.next(), cs.next(), cs.next()) {
        (Some(s), Some(m), Some(g), None) => {
            COMMON_SURNAMES.binary_search(&s).is_ok()
                && ('\u{4E00}'..='\u{9FFF}').contains(&m)
                && GIVEN_NAME_CHARS.binary_search(&g).is_ok()
        }
        _ => false,
    }
}

/// Posts and forms of address written after a surname in place of a name (`张经理`,
/// `王老师`, `刘总`): a title, not a person's full name, whether in a sentence or as a
/// field's whole value.
pub const POST_TITLES: &[&str] = &[
    "经理", "主任", "老师", "局长", "科长", "处长", "书记", "医生", "律师", "警官", "师傅", "同学",
    "所长", "院长", "校长", "队长", "组长", "部长", "厂长", "站长", "专员", "总", "工", "姐", "哥",
    "叔", "姨",
];

/// Courtesy titles a record writes after a surname (`王女士`, `刘先生`), besides the
/// [`POST_TITLES`].
const COURTESY_TITLES: &[&str] = &["女士", "先生", "小姐", "阿姨", "大爷", "大姐", "老板"];

/// The last characters of [`POST_TITLES`] and [`COURTESY_TITLES`] (a test keeps them in step).
const TITLE_LAST_CHARS: &str = "士生姐理任师长记官傅学员总工哥叔姨爷板";

/// Whether `v` is a surname and a courtesy title or a post (`王女士`, `张经理`, `李局长`):
/// how a record addresses someone whose name it does not give, no name itself.
pub fn surname_and_title(v: &str) -> bool {
    // (Every name judged asks this: the last character first.)
    v.chars()
        .next_back()
        .is_some_and(|c| TITLE_LAST_CHARS.contains(c))
        && surname_len(v).is_some_and(|sl| {
            let title = &v[sl..];
            POST_TITLES.contains(&title) || COURTESY_TITLES.contains(&title)
        })
}

/// Whether `v` is one of the [`MINORITY_NAME_PARTS`] alone (`多吉`, `旦增`): a Tibetan or
/// Mongolian name of one part, which under a field named for a person is that person's.
pub fn minority_name_part(v: &str) -> bool {
    packed_contains(&MINORITY_PACKED, v)
}

/// Whether `v` is a common surname (or a compound one) followed by one or two characters
/// that are all common in given names (`王建国`, `欧阳娜娜`), or any surname followed by two
/// (`饶桂兰`), and no [`everyday_word`]. For a name that only its own shape can tell from
/// the words around it: after a role word and before a one-character verb or `的`
/// (`患者张倩向…`), or at the end of a sentence, where a word that opens with a surname
/// character would otherwise pass (`考生成绩将于…`, `确保业主满意。`, `学生安全在…`: 绩 and 全
/// are no name characters, 满 no common surname).
pub fn common_given_name(v: &str) -> bool {
    let Some(sl) = surname_len(v) else {
        return false;
    };
    let surname = &v[..sl];
    let given = &v[sl..];
    let given_len = given.chars().count();
    // A rarer surname with a given name of two characters: three characters that are all
    // name characters seldom make a word.
    let common = given_len == 2
        || surname.chars().count() > 1
        || surname
            .chars()
            .next()
            .is_some_and(|c| COMMON_SURNAMES.binary_search(&c).is_ok());
    common
        && (1..=2).contains(&given_len)
        && given
            .chars()
            .all(|c| GIVEN_NAME_CHARS.binary_search(&c).is_ok())
        && !everyday_word(v)
}

/// Everyday words and places made of a common surname and name characters (`员工钱财被骗`,
/// `投诉人及被投诉人达成和解`, `学生万元的`, `住户何时入住`). Some are names at times
/// (高明), so only a judgement that has nothing but the name's shape to go on refuses them:
/// a name after a role word, not one under a name key. Cities among them (`学生武汉的户籍`)
/// stand where a name would before `的`.
pub fn everyday_word(v: &str) -> bool {
    const WORDS: &[&str] = &[
        "高兴", "高尚", "高明", "高贵", "高峰", "高雅", "高超", "江山", "江湖", "江西", "钱财",
        "沈阳", "黄河", "黄山", "黄金", "韩国", "马达", "石英", "林海", "金华", "金秋", "龙凤",
        "周全", "周正", "万家", "万千", "孔雀", "许久", "严冬", "方舟", "程序", "余晖", "万元",
        "何时", "史诗", "史料", "孙子", "叶子", "杨树", "杨柳", "丁香", "龙腾", "毛利", "贺喜",
        "许诺", "方正", "林立", "秦朝", "高新", "金贵", "武汉", "林芝", "钟祥", "张掖", "常州",
        "徐州", "贺州", "柳州", "邵阳", "岳阳", "韩城", "雷州", "梅州", "白银", "黄石", "曲靖",
        "高邮", "金昌", "黎明", "路人", "洪泽", "洪亮", "雷雨", "孟春", "孟夏", "孟秋", "孟冬",
        "唐山", "萧山", "李子", "江苏", "云南", "宁夏", "甘肃", "南方", "安排", "谢谢", "年月",
    ];
    // Cities of three characters, where a person lives (`举报人居住地，`) and a date left
    // blank (`当事人于年月日申请`).
    const PLACES: &[&str] = &["张家港", "张家口", "石家庄", "马鞍山", "居住地", "年月日"];
    // (A landmark under a compound surname.)
    WORDS.contains(&v) || PLACES.contains(&v) || v == "东方明珠"
}

/// Places, landmarks, classics, brands and herbal medicines that read as a surname and a
/// given name (`黄石`, `南京`, `萧山`, `史记`, `万达`, `石膏`; a drug catalogue's `name`): what a generic `name` field holds in a region tree
/// (`{"code":"420200","name":"黄石"}`), a catalogue or a product list. Cities, districts and
/// counties without their `市`/`区`/`县`, rivers and mountains, books, makers, of two or three
/// characters (a name of four needs a compound surname). Not names that are also common
/// personal names (高明). Sorted by bytes for a binary search (a test checks).
// (Many short entries to a line, as the other word lists: one per line would run to 540.)
#[rustfmt::skip]
const NAMED_NOT_PERSONS: &[&str] = &[
    "七台河", "万州", "万泉河", "万科", "万达", "三亚", "三明", "三沙", "三门峡", "上城", "上海", "上街", "上饶", "东丽", "东城",
    "东莞", "东营", "中卫", "中山", "丰台", "丰都", "临汾", "临沂", "临沧", "丹东", "丽水", "丽江", "乌海", "乐山", "九江",
    "九龙坡", "云南", "云浮", "五粮液", "井冈山", "亳州", "从化", "伊春", "何首乌", "余杭", "佛山", "佳木斯", "保定", "保山", "信阳",
    "儋州", "党参", "六安", "六枝特", "六盘水", "兰州", "关岭", "兴城", "兴安盟", "兴山", "内江", "冯了性", "包头", "北京", "北海",
    "北碚", "北辰", "北镇", "十堰", "华为", "华山", "华龙", "南京", "南充", "南宁", "南山", "南岸", "南川", "南平", "南开", "南昌",
    "南沙", "南湖", "南溪", "南通", "南长", "南阳", "厦门", "友好", "双滦", "双鸭山", "台北", "台州", "台湾", "史丹利", "史记",
    "合山", "合川", "合肥", "吉利", "吉区", "吉安", "吉林", "同仁堂", "吐鲁番", "吕梁", "吴忠", "周口", "周大福", "周易", "周黑鸭",
    "和平", "咸宁", "咸阳", "哈密", "哈尔滨", "唐山", "商丘", "商洛", "嘉兴", "嘉定", "嘉峪关", "嘉禾", "四川", "四平", "固原",
    "国美", "城东", "城北", "增城", "大东", "大兴", "大冶", "大同", "大庆", "大渡口", "大足", "大连", "天安门", "天府", "天水",
    "天河", "天津", "太原", "太湖", "奉贤", "威海", "娄底", "孔雀河", "孙悟空", "孝南", "孝感", "宁夏", "宁德", "宁河", "宁波",
    "宇通", "安庆", "安康", "安徽", "安息香", "安次", "安阳", "安顺", "定西", "宜宾", "宜昌", "宜春", "宜都", "宝坻", "宝安",
    "宝山", "宝鸡", "宣城", "宿州", "宿迁", "密云", "尚书", "山东", "山亭", "山南", "山西", "岳阳", "岳麓山", "峨眉山", "崇左",
    "崇文", "崇明", "嵩山", "巢湖", "巴中", "巴南", "常山", "常州", "常德", "平凉", "平山", "平谷", "平顶山", "广东", "广元",
    "广安", "广州", "广西", "庆阳", "廊坊", "延安", "延庆", "延边", "开封", "开州", "张家口", "张家港", "张家界", "张小泉", "张掖",
    "徐州", "徐汇", "徐福记", "德国", "德州", "德阳", "忻州", "怀化", "怀柔", "思明", "恒山", "恩施", "惠州", "成华", "成都",
    "房山", "扬州", "承德", "抚州", "抚顺", "拉萨", "拱墅", "揭阳", "攀枝花", "故宫", "新乡", "新余", "新城", "新洲", "新疆",
    "方正", "无锡", "日喀则", "日本", "日照", "昆明", "昌平", "昌都", "易经", "春秋", "昭通", "晋中", "晋城", "普洱", "普陀",
    "景德镇", "曲靖", "曹妃甸", "朔州", "朝阳", "本溪", "李家沱", "李锦记", "杜仲", "来宾", "杨国福", "杨柳青", "杨浦", "杭州", "松原",
    "松江", "松花江", "林芝", "枣庄", "柳州", "柴胡", "株洲", "格力", "桂林", "桂枝", "梁平", "梅州", "梧州", "楚辞", "榆林",
    "武侯", "武威", "武当山", "武昌", "武汉", "武清", "武隆", "毕节", "永安", "永川", "永州", "汉中", "汉书", "汉江", "汉阳",
    "汕头", "汕尾", "江北", "江夏", "江宁", "江山", "江汉", "江津", "江淮", "江苏", "江西", "江门", "江阴", "池州", "汾酒",
    "沈北新", "沈河", "沈阳", "沙坪坝", "沙市", "沙湾", "沧州", "河东", "河北", "河南", "河池", "河源", "河西", "泉州", "法国",
    "泰安", "泰山", "泰州", "泸州", "洛阳", "洞庭湖", "津南", "洪七公", "洪山", "洪泽", "济南", "济宁", "浔阳", "浙江", "浦东",
    "海东", "海南", "海口", "海尔", "海河", "海淀", "海港", "海珠", "海门", "海陵", "涪城", "涪陵", "淄博", "淄川", "淮北", "淮南",
    "淮安", "淮河", "深圳", "清城", "清河", "清浦", "清远", "渝中", "渝北", "温州", "渭南", "湖北", "湖南", "湖州", "湖里", "湘潭",
    "湘西", "湛江", "滁州", "滨城", "滨州", "滨江", "滨海", "漯河", "漳州", "潍坊", "潘家园", "潜江", "潮州", "潼南", "澳门",
    "濮阳", "烟台", "焦作", "牛膝", "牡丹江", "牧野", "独活", "玄武", "玉林", "玉溪", "王老吉", "珠江", "珠海", "璧山", "甘肃",
    "番禺", "白云", "白云山", "白城", "白山", "白术", "白芍", "白芷", "白银", "百色", "益阳", "盐城", "盘锦", "眉山", "石嘴山",
    "石家庄", "石斛", "石景山", "石膏", "硚口", "福州", "福建", "福田", "秀英", "秦岭", "秦淮", "秦淮河", "秦皇岛", "秦艽", "綦江",
    "红桥", "绍兴", "绥化", "绵阳", "罗湖", "羌活", "美国", "翔安", "聊城", "联想", "肇庆", "自贡", "舟山", "芜湖", "花溪", "花都",
    "苏堤", "苏宁", "苏州", "英国", "茂名", "茅台", "荆州", "荆门", "荔湾", "荣昌", "莆田", "菏泽", "萍乡", "营口", "萧山", "葛根",
    "葫芦岛", "蓟州", "蔡甸", "虹口", "蚌埠", "衡山", "衡水", "衡阳", "衢州", "襄阳", "西城", "西夏", "西宁", "西安", "西峰",
    "西湖", "西藏", "西青", "许昌", "论语", "诗经", "谭木匠", "贝母", "贵州", "贵港", "贵阳", "贺州", "资阳", "赣州", "赤峰",
    "越秀", "辛集", "辽宁", "辽源", "辽阳", "达州", "运城", "连云港", "连翘", "通化", "通州", "通辽", "遂宁", "遵义", "邢台",
    "那曲", "邯郸", "邵阳", "郁金", "郑州", "郴州", "鄂州", "鄱阳湖", "酒泉", "重庆", "金华", "金山", "金平", "金昌", "金沙江",
    "金牛", "金银花", "钟祥", "钦州", "钱塘", "钱大妈", "铁岭", "铜仁", "铜川", "铜梁", "铜陵", "银川", "锡山", "锦州", "锦江",
    "镇江", "长城", "长宁", "长安", "长寿", "长春", "长江", "长沙", "长治", "门头沟", "闵行", "阜新", "阜阳", "防城港", "阳江",
    "阳泉", "陇南", "陈李济", "陈皮", "陕西", "随州", "雅安", "雨花台", "雷州", "青山", "青岛", "青浦", "青海", "青羊", "静安",
    "静海", "鞍山", "韩国", "韩城", "韶关", "韶山", "顺义", "香港", "马应龙", "马鞍山", "驻马店", "高坪", "高新", "高港", "高邮",
    "魏都", "鲍师傅", "鸡西", "鹤壁", "鹤岗", "鹰潭", "麦冬", "黄冈", "黄埔", "黄山", "黄河", "黄浦", "黄浦江", "黄石", "黄芩",
    "黄芪", "黄连", "黄陂", "黑河", "黑龙江", "黔江", "鼓楼", "龙华", "龙岗", "龙岩", "龙潭", "龙胆",
];

/// Whether `v` is a place, landmark, classic or brand of [`NAMED_NOT_PERSONS`]: asked of a
/// value under a generic `name` field, which names anything (a field named for a person,
/// `xm`, `姓名`, says whose the value is), and of a name-shaped word nothing vouches for.
pub fn named_not_person(v: &str) -> bool {
    NAMED_NOT_PERSONS.binary_search(&v).is_ok()
}

/// Whether `v` is a railway station named for its city and a direction (`杭州东`, `南京南`,
/// `郑州东`), as timetables and ticket records write them: the city one of
/// [`NAMED_NOT_PERSONS`].
pub fn station_name(v: &str) -> bool {
    let mut cs = v.char_indices();
    match (cs.nth(2), cs.next()) {
        (Some((i, last)), None) => "东西南北".contains(last) && named_not_person(&v[..i]),
        _ => false,
    }
}

/// Characters that end the name of a place, a road, a station, a building or a body and
/// hardly a given name (`江苏路`, `刘家窑`, `陆家嘴`, `龙阳站`, `办公室`), sorted. Not those
/// that given names end with now and then (李晓岗, 王连营, 杨玉台, 刘长桥, 周玉楼, 陈德社,
/// 王文阁, 陈海岛).
const PLACE_ENDS: &[char] = &[
    '办', '区', '厂', '厅', '厦', '县', '口', '嘴', '场', '坊', '坝', '坟', '处', '委', '宅', '室',
    '寨', '寺', '局', '屯', '峪', '巷', '市', '库', '店', '庙', '所', '校', '沟', '洼', '渡', '湾',
    '滩', '省', '窑', '站', '组', '街', '路', '部', '铺', '队', '馆',
];

/// Words that end a body's or a place's name (`董事会`, `上官公园`).
const PLACE_SUFFIXES: &[&str] = &[
    "公园",
    "董事会",
    "监事会",
    "理事会",
    "委员会",
    "协会",
    "学会",
    "商会",
    "工会",
    "基金会",
    "广场",
    "大厦",
    "中心",
    "景区",
    "水库",
];

/// Characters after `家` that make `X家Y` a village or quarter named for a family (`马家堡`,
/// `徐家汇`, `于家务`): none is common in given names (`王家卫`, `张家辉`, `王家园` are
/// people).
const FAMILY_PLACE_ENDS: &str = "堡嘴汇窑庄村湾营屯店坡沟坝口巷寨铺坊塘峪洼窝坨圩务";

/// Whether `v`, shaped as a name, is a place's or a body's name by how it ends: asked of a
/// value under a generic `name` field (a region tree, a station list, a POI list, an
/// organization chart), where a person's name ends with none of these.
pub fn place_shaped(v: &str) -> bool {
    let Some(last) = v.chars().next_back() else {
        return false;
    };
    let n = v.chars().count();
    (n >= 2 && PLACE_ENDS.binary_search(&last).is_ok())
        || (n == 3 && v.chars().nth(1) == Some('家') && FAMILY_PLACE_ENDS.contains(last))
        || PLACE_SUFFIXES.iter().any(|x| v.ends_with(x))
}

/// Whether `v` is a surname and one or two characters common in given names (`黄石`, `金平`,
/// `邵阳`): such a place is a person's name as often, and a person's record under `name`
/// holds it too. (`南京`, `周口`, `史记` are not: 京, 口, 记 are no name characters.)
pub fn name_shaped(v: &str) -> bool {
    surname_len(v).is_some_and(|sl| {
        let given = &v[sl..];
        (1..=2).contains(&given.chars().count())
            && given
                .chars()
                .all(|c| GIVEN_NAME_CHARS.binary_search(&c).is_ok())
    })
}

/// Characters of words for things that Han given names (almost) never hold, sorted for a
/// binary search: foods, vegetables and fruit (瓜, 薯, 萝, 卜, 椒, 菜, 蒜, 姜, 米, 糖), animals
/// and birds (鹮, 鸭, 猪, 狼, 鳄, 豚, 猴, 蜂), plants and herbs (杏, 棘, 蒿, 萸, 芪, 草, 藤:
/// 银杏; a name with 杏 is rarer than a catalogue's 银杏 and 杏仁),
/// weather and the solar terms (雾, 霾, 阵, 暴, 旱, 分, 节), materials and objects (瓷, 砂,
/// 管, 泵, 炉, 胶, 药), the body and medicine (骨, 皮, 眼, 尾, 病, 菌), villages (乡, 村, 庄)
/// and the words of a catalogue (党, 品, 产, 料, 费, 价, 型, 证). Disjoint from
/// [`GIVEN_NAME_CHARS`], and none of Faker's given names holds one (tests check); left out
/// are those that names do take now and then (桃, 椿, 槐, 锁, 镜, 象, 牛, 丘, 芷, 苓, 粉,
/// 砚, 陶, 艾, 桑, 檀, 蔓, 穗, 榛, 橙), and all that [`GIVEN_NAME_CHARS`] holds (梅, 竹, 松,
/// 虎, 鹤, 雨, 露, 钢).
#[rustfmt::skip]
const THING_CHARS: &[char] = &[
    '丸', '乡', '产', '件', '价', '伞', '兔', '党', '兽', '册', '冻', '凇', '刀', '分', '剂', '勺',
    '卜', '卡', '参', '品', '唇', '喉', '坡', '型', '塑', '墟', '壶', '奶', '姜', '尺', '尾', '帘',
    '庄', '床', '弹', '料', '旱', '暑', '暴', '术', '机', '杏', '村', '杞', '杯', '枣', '枪', '枸',
    '柑', '柚', '柜', '柠', '柿', '栗', '核', '桉', '桌', '桔', '桶', '棉', '棕', '棘', '椅', '椒',
    '椰', '楂', '楝', '楸', '榈', '榴', '樟', '橘', '檬', '款', '毒', '毯', '汛', '油', '泥', '泵',
    '浆', '涝', '漆', '灯', '灶', '炉', '炭', '炮', '煤', '熊', '爪', '牙', '犀', '犁', '狐', '狮',
    '狸', '狼', '猪', '猫', '猬', '猴', '猿', '獐', '獭', '獾', '率', '瓜', '瓦', '瓶', '瓷', '畜',
    '疫', '疮', '疹', '疾', '病', '症', '痛', '瘤', '癌', '皮', '盆', '盐', '盘', '眼', '矿', '砂',
    '砖', '硅', '碗', '碳', '票', '禽', '秤', '秧', '税', '稗', '稻', '笋', '笔', '筷', '管', '箱',
    '米', '类', '籽', '粟', '粥', '粮', '粱', '糕', '糖', '糯', '纸', '绳', '绸', '缎', '缸', '罐',
    '羊', '羚', '羹', '耳', '肉', '肝', '肠', '肩', '肺', '肾', '胃', '背', '胎', '胶', '胸', '脂',
    '脑', '脚', '腰', '腹', '腿', '膏', '膝', '臂', '舌', '舰', '船', '艇', '节', '芋', '芍', '芎',
    '芥', '芦', '芩', '芪', '芫', '芭', '芹', '芽', '苋', '苔', '茄', '茱', '茴', '茶', '茸', '草',
    '荔', '药', '荽', '莓', '莠', '莴', '菇', '菌', '菖', '菜', '菠', '萄', '萝', '萸', '葡', '葱',
    '蒜', '蒡', '蒿', '蓟', '蔗', '蔬', '蔻', '蕉', '蕨', '薯', '藓', '藕', '藤', '藻', '藿', '蘑',
    '虫', '虾', '蚁', '蚌', '蚓', '蚕', '蚯', '蛇', '蛋', '蛙', '蛛', '蛰', '蛾', '蜂', '蜘', '蜜',
    '蜡', '蜥', '蜴', '蝉', '蝎', '蝗', '蝙', '蝠', '螺', '蟹', '血', '袋', '角', '证', '豆', '豚',
    '豹', '貂', '费', '蹄', '轮', '邑', '酊', '酒', '酱', '醋', '量', '针', '钉', '铅', '铝', '铲',
    '锄', '锅', '锌', '镍', '镰', '阀', '阴', '阵', '雀', '雉', '雹', '雾', '霰', '霾', '面', '韭',
    '项', '颈', '额', '饭', '饺', '饼', '馒', '驴', '驼', '骡', '骨', '鱼', '鲈', '鲤', '鲨', '鲫',
    '鲸', '鳄', '鳅', '鳍', '鳖', '鳗', '鳝', '鳞', '鸠', '鸡', '鸦', '鸨', '鸬', '鸭', '鸯', '鸳',
    '鸽', '鹅', '鹈', '鹉', '鹊', '鹕', '鹚', '鹦', '鹮', '鹳', '鹿', '麋', '麦', '麻', '鼠', '鼬',
    '鼻', '齿', '龟',
];

/// Whether `v`, a surname and a given part of one or two characters, is a word for a thing
/// by its given part (`银杏`, `朱鹮`, `黄瓜`, `马铃薯`, `胡萝卜`, `江米`, `雷阵雨`, `陶瓷`: a
/// character of [`THING_CHARS`]), or a town (`沙河镇`, `景德镇`: three characters or more
/// ending in `镇`, whose 镇 names do take, though not after two given characters). Asked only of
/// a value under a generic `name` field, which names species, produce, herbs and towns in
/// open-data catalogues; a field named for a person (`xm`, `姓名`) says whose the value is.
pub fn thing_word(v: &str) -> bool {
    let Some(sl) = surname_len(v) else {
        return false;
    };
    let given = &v[sl..];
    let n = given.chars().count();
    (1..=3).contains(&n)
        && ((n <= 2 && given.chars().any(|c| THING_CHARS.binary_search(&c).is_ok()))
            || (n >= 2 && given.ends_with('镇')))
}

/// The syllables of Hanyu Pinyin without tones (`ü` written `v`, or `u` after `l` and `n`
/// as in `lue`, or `yu` as passports write 吕 `LYU`). Sorted for a binary search.
#[rustfmt::skip]
const PINYIN_SYLLABLES: &[&str] = &[
    "a", "ai", "an", "ang", "ao", "ba", "bai", "ban", "bang", "bao", "bei", "ben", "beng", "bi",
    "bian", "biao", "bie", "bin", "bing", "bo", "bu", "ca", "cai", "can", "cang", "cao", "ce",
    "cen", "ceng", "cha", "chai", "chan", "chang", "chao", "che", "chen", "cheng", "chi", "chong",
    "chou", "chu", "chua", "chuai", "chuan", "chuang", "chui", "chun", "chuo", "ci", "cong", "cou",
    "cu", "cuan", "cui", "cun", "cuo", "da", "dai", "dan", "dang", "dao", "de", "dei", "den",
    "deng", "di", "dia", "dian", "diao", "die", "ding", "diu", "dong", "dou", "du", "duan", "dui",
    "dun", "duo", "e", "ei", "en", "eng", "er", "fa", "fan", "fang", "fei", "fen", "feng", "fo",
    "fou", "fu", "ga", "gai", "gan", "gang", "gao", "ge", "gei", "gen", "geng", "gong", "gou",
    "gu", "gua", "guai", "guan", "guang", "gui", "gun", "guo", "ha", "hai", "han", "hang", "hao",
    "he", "hei", "hen", "heng", "hong", "hou", "hu", "hua", "huai", "huan", "huang", "hui", "hun",
    "huo", "ji", "jia", "jian", "jiang", "jiao", "jie", "jin", "jing", "jiong", "jiu", "ju",
    "juan", "jue", "jun", "ka", "kai", "kan", "kang", "kao", "ke", "kei", "ken", "keng", "kong",
    "kou", "ku", "kua", "kuai", "kuan", "kuang", "kui", "kun", "kuo", "la", "lai", "lan", "lang",
    "lao", "le", "lei", "leng", "li", "lia", "lian", "liang", "liao", "lie", "lin", "ling", "liu",
    "lo", "long", "lou", "lu", "luan", "lue", "lun", "luo", "lv", "lve", "lyu", "ma", "mai", "man",
    "mang", "mao", "me", "mei", "men", "meng", "mi", "mian", "miao", "mie", "min", "ming", "miu",
    "mo", "mou", "mu", "na", "nai", "nan", "nang", "nao", "ne", "nei", "nen", "neng", "ni", "nian",
    "niang", "niao", "nie", "nin", "ning", "niu", "nong", "nou", "nu", "nuan", "nue", "nun", "nuo",
    "nv", "nve", "nyu", "o", "ou", "pa", "pai", "pan", "pang", "pao", "pei", "pen", "peng", "pi",
    "pian", "piao", "pie", "pin", "ping", "po", "pou", "pu", "qi", "qia", "qian", "qiang", "qiao",
    "qie", "qin", "qing", "qiong", "qiu", "qu", "quan", "que", "qun", "ran", "rang", "rao", "re",
    "ren", "reng", "ri", "rong", "rou", "ru", "rua", "ruan", "rui", "run", "ruo", "sa", "sai",
    "san", "sang", "sao", "se", "sen", "seng", "sha", "shai", "shan", "shang", "shao", "she",
    "shei", "shen", "sheng", "shi", "shou", "shu", "shua", "shuai", "shuan", "shuang", "shui",
    "shun", "shuo", "si", "song", "sou", "su", "suan", "sui", "sun", "suo", "ta", "tai", "tan",
    "tang", "tao", "te", "teng", "ti", "tian", "tiao", "tie", "ting", "tong", "tou", "tu", "tuan",
    "tui", "tun", "tuo", "wa", "wai", "wan", "wang", "wei", "wen", "weng", "wo", "wu", "xi", "xia",
    "xian", "xiang", "xiao", "xie", "xin", "xing", "xiong", "xiu", "xu", "xuan", "xue", "xun",
    "ya", "yan", "yang", "yao", "ye", "yi", "yin", "ying", "yo", "yong", "you", "yu", "yuan",
    "yue", "yun", "za", "zai", "zan", "zang", "zao", "ze", "zei", "zen", "zeng", "zha", "zhai",
    "zhan", "zhang", "zhao", "zhe", "zhei", "zhen", "zheng", "zhi", "zhong", "zhou", "zhu", "zhua",
    "zhuai", "zhuan", "zhuang", "zhui", "zhun", "zhuo", "zi", "zong", "zou", "zu", "zuan", "zui",
    "zun", "zuo",
];

/// Whether `s` is one syllable of Hanyu Pinyin without its tone (`zhang`, `lv`).
pub fn pinyin_syllable(s: &str) -> bool {
    PINYIN_SYLLABLES.binary_search(&s).is_ok()
}

/// Whether `v`, a romanized name of two or three words (`Zhang San`, `OUYANG NANA`), is
/// pinyin: every word splits into syllables. Asked of a value under a field that names
/// anything (`name`), where `Full GC` and `Eclipse Adoptium` are programs' names.
pub fn pinyin_name(v: &str) -> bool {
    fn word(w: &[u8]) -> bool {
        // Longest syllables are six letters (`zhuang`); a word splits if some syllable
        // starts it and the rest splits.
        let mut ok = vec![false; w.len() + 1];
        ok[w.len()] = true;
        for i in (0..w.len()).rev() {
            ok[i] = (1..=6).any(|n| {
                i + n <= w.len()
                    && ok[i + n]
                    && std::str::from_utf8(&w[i..i + n]).is_ok_and(pinyin_syllable)
            });
        }
        !w.is_empty() && ok[0]
    }
    let lower = v.to_ascii_lowercase();
    lower
        .split(' ')
        .filter(|w| !w.is_empty())
        .all(|w| word(w.as_bytes()))
}

/// Characters of Han transliterations of names (Uyghur, Kazakh, Tibetan, Mongolian and
/// foreign ones: 阿依古丽, 买买提, 努尔兰, 扎西, 约翰): the syllables such names are written
/// with, which place names, organizations and estates written with a dot
/// (`万科·城市花园`, `人事部·档案室`, `北京·朝阳医院`) mostly are not made of. (守, 喀, 荪
/// and 散 write common Uyghur names: 吾守尔, 喀斯木, 图尔荪, 艾散.)
const TRANSLIT_CHARS: &str = "阿埃艾爱安昂奥巴拜班邦保贝本比彼宾波伯博布查达戴丹道德登迪蒂丁东杜顿多厄恩尔法凡菲费芬丰弗福富盖甘冈戈格根古瓜圭哈海汉豪赫亨胡华怀霍基吉加贾杰金卡凯坎康考科克肯库夸奎昆拉莱兰朗劳勒雷蕾里利莉丽连林琳留卢鲁路伦罗洛吕马玛迈麦曼芒茅梅门蒙米密明莫默姆穆纳娜奈南内尼妮涅宁纽努诺欧帕派潘佩彭皮珀普齐奇恰乔切钦琼丘萨塞赛桑瑟森沙莎山尚舍施史舒斯松苏索塔泰坦汤唐特提汀图托瓦万旺威韦维温文翁沃乌伍西希锡夏谢辛休雅亚扬耶叶伊尤于约扎泽詹珍朱兹佐买依热合则孜吐洪木力江汗罕别吾玉素甫乎地衣再排尕措旦增仁次卓央珠曲嘎贡边群培益白晋美强土敖额楞朝宝音呼和其琴那满都青高娃毕不然孙坤赫勒逊肉茹外义司娅祖乃牙居哲伽瑞如卜守喀荪散";

/// Whether `v`, a name in parts as normalized text writes it (`阿依古丽·买买提`,
/// `努尔兰·哈力木`), is written in the syllables of transliterated names: two to four parts
/// of one to seven such characters, between middle dots.
pub fn transliterated_name(v: &str) -> bool {
    let mut parts = 0;
    for part in v.split('·') {
        parts += 1;
        let n = part.chars().count();
        if !(1..=7).contains(&n) || !part.chars().all(|c| TRANSLIT_CHARS.contains(c)) {
            return false;
        }
    }
    (2..=4).contains(&parts)
}

/// True if `c` is the one-character province abbreviation that starts a mainland licence plate,
/// or 使/领 for embassy and consulate plates.
pub fn is_plate_province(c: char) -> bool {
    matches!(
        c,
        '京' | '津'
            | '沪'
            | '渝'
            | '冀'
            | '豫'
            | '云'
            | '辽'
            | '黑'
            | '湘'
            | '皖'
            | '鲁'
            | '新'
            | '苏'
            | '浙'
            | '赣'
            | '鄂'
            | '桂'
            | '甘'
            | '晋'
            | '蒙'
            | '陕'
            | '吉'
            | '闽'
            | '贵'
            | '粤'
            | '青'
            | '藏'
            | '川'
            | '宁'
            | '琼'
            | '使'
            | '领'
    )
}

/// True if `c` is a character that marks an administrative level or a part of a street address
/// (省 市 区 县 … 号 楼 室). An address value must contain at least one, which is what tells
/// 北京市海淀区中关村大街1号 from an arbitrary Chinese phrase in an `address` field.
pub fn is_address_marker(c: char) -> bool {
    matches!(
        c,
        '省' | '市'
            | '区'
            | '县'
            | '镇'
            | '乡'
            | '村'
            | '路'
            | '街'
            | '道'
            | '巷'
            | '弄'
            | '号'
            | '楼'
            | '栋'
            | '幢'
            | '单'
            | '元'
            | '室'
            | '层'
            | '组'
            | '屯'
            | '里'
            | '苑'
            | '园'
            | '小'
            | '院'
            | '旗'
            | '盟'
            | '州'
    )
}

/// Short names of the 34 province-level divisions (provinces, autonomous regions, municipalities,
/// special administrative regions and Taiwan), as they start an address.
pub const PROVINCE_NAMES: &[&str] = &[
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "台湾",
];

/// Whether an address starts at a province-level division or a city, county or district
/// (`福建省…`, `北京…`, `嘉禾市…12号`, `徐汇区…95号`): what an address written after a label
/// without a colon (`现住福建省…`, `住址为徐汇区…`) must start with, since nothing else says
/// where it begins.
pub fn starts_with_region(v: &str) -> bool {
    if PROVINCE_NAMES.iter().any(|p| v.starts_with(p)) {
        return true;
    }
    // Without a province, a city, county or district of two to five characters and a house
    // number (`嘉禾市平山路12号`, `沙依巴克区中山路20号`): `组织城市一些` has the character
    // but is no place.
    v.chars()
        .skip(1)
        .take(4)
        .any(|c| matches!(c, '省' | '市' | '县' | '州' | '盟' | '区'))
        && v.bytes().any(|b| b.is_ascii_digit())
}

/// Field labels of free text that commonly follow a value on the same line
/// (`住址：…100号身份证号码：…`), so a value that runs into one can end before it. The labels of
/// the field rules themselves are added to these.
pub const COMMON_LABELS: &[&str] = &[
    "性别",
    "民族",
    "出生日期",
    "出生年月",
    "年龄",
    "籍贯",
    "职业",
    "学历",
    "婚姻状况",
    "工作单位",
    "单位",
    "邮编",
    "邮政编码",
    "备注",
    "日期",
    "时间",
    "编号",
    "身份证",
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件类型",
    "证件号码",
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "联系电话",
    "联系方式",
    "邮箱",
    "电子邮箱",
    "银行卡号",
    "卡号",
    "账号",
    "开户行",
    "护照号码",
    "护照号",
    "车牌号",
    "车牌号码",
    "号牌号码",
    "收款账号",
    "付款账号",
    "银行账号",
    "开户账号",
    "证件号",
    "统一社会信用代码",
    "信用代码",
    "传真",
    "联系人",
    "姓名",
    "地址",
    "住址",
    "家庭住址",
    "联系地址",
    "户籍地址",
    "IP地址",
];

/// Person roles that exchange schemas put in front of a field name: `applicantIdCard`,
/// `farenSfzh`, `jbr_jtzz`, `tenantName`, `申请人护照号码`. Stripped from a key that names no
/// exact rule key (the lookup tries the rest as an exact key), so each role need not be spelled
/// out in every pack's key list. Only roles that are people: `companyName`, `fileName` and
/// `userName` must not reach `name` this way (`user` is a login, not a role), nor `parentName`
/// (a category tree's), `partyName` (a political party) or `buyerName`/`sellerName` (an
/// invoice's companies). Normalized as
/// keys are (ASCII lower case, no separators), and sorted by length in bytes, longest first:
/// the first role whose remainder is an exact key that some rule reads is the one stripped
/// (`emergencycontact` before `contact`; `emergency` only when that leaves a key, as in
/// `emergencyContactNum`).
/// Name labels that take a name only after a colon (`户名：雷鑫`, `操作员：张伟`): written
/// without one they run into verbs and nouns as often as into names (`名字有误`,
/// `操作员查看、修改`, `户名有误`, `创建人修改权限`), and the name judge cannot tell `有误` or
/// `查看` from a rare surname and a given name.
pub const COLON_ONLY_LABELS: &[&str] = &[
    "名字",
    "户名",
    "开户名",
    "账户名",
    "法人代表",
    "签收人",
    "领取人",
    "取件人",
    "领款人",
    "缴款人",
    "交款人",
    "持有人",
    "录入人",
    "记录人",
    "发件人",
    "经手人",
    "操作人",
    "操作员",
    "创建人",
    "签字人",
    "见证人",
    "送达人",
    "受送达人",
    // Parties of a property register, a contract, a case file: words of their prose too
    // (`出卖人应当…`, `权利人申请`), so a name only after a colon.
    "权利人",
    "产权人",
    "房屋所有权人",
    "买受人",
    "出卖人",
    "义务人",
    "开户人",
    "机动车所有人",
    "委托代理人",
    "曾用名",
    "被投诉人",
    "承办法官",
    "联络员",
    "办理人",
    "报告人",
    // A company's people and an account's or a claim's holder, as registers and
    // judgments label them (`法人：张三`, `申请执行人：王五`, `账户名称：赵六`; a company there
    // is no name's shape).
    "法人",
    "所有人",
    "申请执行人",
    "账户名称",
    "纳税人名称",
    "权利人名称",
];

pub const PERSON_ROLE_PREFIXES: &[&str] = &[
    "legalrepresentative",
    "房屋所有权人",
    "机动车所有人",
    "emergencycontact",
    "法定代表人",
    "犯罪嫌疑人",
    "紧急联系人",
    "representative",
    "policyholder",
    "法人代表",
    "被保险人",
    "beneficiary",
    "householder",
    "legalperson",
    "complainant",
    "petitioner",
    "applicant",
    "consignee",
    "consignor",
    "defendant",
    "emergency",
    "guarantor",
    "informant",
    "passenger",
    "plaintiff",
    "recipient",
    "traveller",
    "买受人",
    "产权人",
    "付款人",
    "代理人",
    "借款人",
    "出卖人",
    "出租人",
    "发货人",
    "受害人",
    "受益人",
    "委托人",
    "嫌疑人",
    "寄件人",
    "开户人",
    "当事人",
    "承租人",
    "投保人",
    "担保人",
    "持卡人",
    "收件人",
    "收款人",
    "收货人",
    "权利人",
    "申请人",
    "监护人",
    "经办人",
    "联系人",
    "被告人",
    "被害人",
    "驾驶人",
    "驾驶员",
    "继承人",
    "投诉人",
    "举报人",
    "来电人",
    "borrower",
    "creditor",
    "customer",
    "deceased",
    "employee",
    "guardian",
    "landlord",
    "legalrep",
    "litigant",
    "receiver",
    "resident",
    "traveler",
    "claimant",
    "reporter",
    "contact",
    "handler",
    "insured",
    "patient",
    "shipper",
    "student",
    "suspect",
    "teacher",
    "visitor",
    "witness",
    "client",
    "debtor",
    "driver",
    "farmer",
    "father",
    "holder",
    "lodger",
    "lender",
    "member",
    "mother",
    "person",
    "sender",
    "spouse",
    "tenant",
    "victim",
    "worker",
    "业主",
    "原告",
    "患者",
    "户主",
    "母亲",
    "法人",
    "父亲",
    "被告",
    "证人",
    "车主",
    "配偶",
    "caller",
    "agent",
    "faren",
    "fddbr",
    "guest",
    "owner",
    "payee",
    "payer",
    "staff",
    "bbxr",
    "cust",
    "frdb",
    "heir",
    "bgr",
    "emp",
    "psn",
    "cbr",
    "cqr",
    "dbr",
    "dlr",
    "dsr",
    "fkr",
    "fzr",
    "jbr",
    "jhr",
    "jjr",
    "jkr",
    "jsr",
    "jsy",
    "lxr",
    "qlr",
    "shr",
    "sjr",
    "skr",
    "sqr",
    "syr",
    "tbr",
    "wtr",
    "xyr",
];

/// An address written in a sentence after a verb runs on into what is to be done there
/// (`请到…文三路90号领取`, `前往…3号楼办理手续`): the first such verb after its house
/// number ends it. Before a number the words may be part of a place's name.
pub fn address_before_errand(v: &str) -> &str {
    const ERRANDS: &[&str] = &[
        "领取", "办理", "报到", "参加", "咨询", "缴费", "缴纳", "提交", "递交", "签收", "取件",
        "自取", "面试", "就诊", "复查", "接受",
    ];
    let Some(number) = v.bytes().position(|b| b.is_ascii_digit()) else {
        return v;
    };
    // An address goes on for a few dozen characters after its first number at most.
    let mut to = (number + 96).min(v.len());
    while !v.is_char_boundary(to) {
        to -= 1;
    }
    let after = &v[number..to];
    // One pass over the characters (a substring search per word would set up a searcher
    // for every word each time).
    after
        .char_indices()
        .find(|&(i, c)| {
            matches!(
                c,
                '领' | '办'
                    | '报'
                    | '参'
                    | '咨'
                    | '缴'
                    | '提'
                    | '递'
                    | '签'
                    | '取'
                    | '自'
                    | '面'
                    | '就'
                    | '复'
                    | '接'
            ) && ERRANDS.iter().any(|e| after[i..].starts_with(e))
        })
        .map_or(v, |(i, _)| v[..number + i].trim_end())
}

/// Words that follow a person label without being a name (`联系人信息`, `申请人单位`,
/// `申请人应当`) and begin with a surname character, so the name judge alone would take them.
pub fn is_label_word(run: &str) -> bool {
    // (Asked at every name a text of names holds: a binary search over integers.)
    const PACKED: [u128; LABEL_WORDS.len()] = pack_sorted(LABEL_WORDS);
    packed_contains(&PACKED, run)
}

/// Whether a run after a person's label that opens with `高达`, a measure word of
/// [`LABEL_WORDS`] (`游客高达8万人次`), is a name all the same: `高` is a common surname and
/// `高达` a name (`原告高达，`, `被告人高达明，男`). A measure has a number or more words after
/// it; a name ends at punctuation, the line's end or the end of the text, with one
/// given-name character at most after the word. `after` is the character after the run.
/// (The other measure words, `高级`, `平均`, `满意`, `占比`, open no name often enough to
/// weigh against `医生高级职称`, `居民满意度`.)
pub fn measure_word_as_name(run: &str, after: Option<char>) -> bool {
    let Some(tail) = run.strip_prefix("高达") else {
        return false;
    };
    let figure = |c: char| c.is_ascii_digit() || matches!(c, '%' | '％' | '.');
    let han = |c: char| ('\u{3400}'..='\u{9fff}').contains(&c);
    let mut tail = tail.chars();
    match (tail.next(), tail.next()) {
        // The word alone: no figure and no word after it (`游客高达8万`, `高达百万`).
        (None, _) => after.is_none_or(|c| !(figure(c) || han(c))),
        // One character more: a given name, unless it counts (`高达万人`).
        (Some(c), None) => {
            !matches!(c, '十' | '百' | '千' | '万' | '亿' | '数' | '到' | '成')
                && after.is_none_or(|c| !figure(c))
        }
        _ => false,
    }
}

/// The words of [`is_label_word`].
const LABEL_WORDS: &[&str] = &[
    "信息",
    "单位",
    "应当",
    // What a person did or how, right after the role word (`来电人明确表示`,
    // `业主全家已搬离`, `居民凌晨在家中`): no name.
    "明确",
    "强烈",
    "普遍",
    "郑重",
    "一致",
    "多次",
    "再次",
    "同时",
    "书面",
    "线上",
    "门诊",
    "陆续",
    "凌晨",
    "全家",
    "全程",
    "高龄",
    "成绩",
    "房屋",
    "年满",
    "符合",
    "成功",
    "方面",
    "代表",
    "代码",
    "全称",
    "全部",
    "时间",
    "明细",
    "余额",
    "通知",
    "须知",
    "文件",
    "和解",
    "于是",
    "方式",
    "双方",
    "一方",
    "本人",
    "名单",
    "名称",
    "住所",
    "住址",
    "地址",
    "电话",
    "签章",
    "章程",
    "印章",
    "向前",
    "情况",
    "资格",
    "权利",
    "义务",
    "数量",
    "人数",
    "费用",
    "类型",
    "类别",
    "证件",
    "国籍",
    "年龄",
    "性别",
    "职务",
    "关系",
    "车辆",
    "银行",
    "账户",
    "账号",
    "邮箱",
    "手机",
    "银行卡",
    "身份证",
    "要求",
    "曾经",
    "所在地",
    "所在单位",
    "管理",
    "经理",
    "专员",
    "家属",
    "相关",
    // What a report counts of a group named by its role (`居民满意度65.1%`, `游客高达8万人次`,
    // `医生高级职称`, `居民平均收入`): a measure, no name.
    "满意",
    "高达",
    "高级",
    "平均",
    "占比",
    // What a judgment says a victim or a witness did (`被害人陈述，`, `证人证言`).
    "陈述",
    "证言",
    // How a complaint came in, and who spoke for the person (`申请人来电反映…`,
    // `申请人代理人称…`, `申请人母亲称…`, `申请人依法提出…`, `申请人通过12345热线…`).
    "来电",
    "来信",
    "来访",
    "代理人",
    "母亲",
    "父亲",
    "依法",
    "通过",
    "信用",
    "马上",
    "供述",
    "辩解",
    // The people an SMS greets (`尊敬的车主，`, `尊敬的申请人：`).
    "车主",
    "顾客",
    "家长",
    "来宾",
    "游客",
    "商户",
    "房东",
    "租户",
    "业主",
    "患者",
    "乘客",
    "旅客",
    "居民",
    "市民",
    "会员",
    "用户",
    "客户",
    "同志",
    "先生",
    "女士",
    "老师",
    "领导",
    "朋友",
    "申请人",
    "纳税人",
    "参保人",
    "持卡人",
];

/// Common parts of Tibetan and Mongolian names as written in Han characters, which carry
/// no Han surname: a name is two or more of them (扎西多吉, 次仁卓玛, 乌兰其其格), or one
/// of the longer ones alone (巴特尔). Sorted by bytes for the binary search (a test checks).
const MINORITY_NAME_PARTS: &[&str] = &[
    "丹增",
    "乌云",
    "乌兰",
    "乌力吉",
    "乌日娜",
    "仁增",
    "其其格",
    "其木格",
    "加措",
    "卓嘎",
    "卓玛",
    "吉日格勒",
    "吉雅",
    "呼和",
    "哈斯",
    "嘎玛",
    "图门",
    "图雅",
    "土登",
    "塔娜",
    "多吉",
    "多布杰",
    "央宗",
    "央金",
    "娜仁",
    "孟和",
    "宝力德",
    "宝音",
    "尼玛",
    "巴图",
    "巴根",
    "巴桑",
    "巴特尔",
    "巴雅尔",
    "布和",
    "平措",
    "强巴",
    "德吉",
    "德央",
    "德庆",
    "才旦",
    "才让",
    "扎西",
    "拉姆",
    "拉巴",
    "拉毛",
    "拉珍",
    "措姆",
    "敖登",
    "斯日古楞",
    "斯琴",
    "旦增",
    "旺久",
    "旺堆",
    "旺姆",
    "晋美",
    "普布",
    "曲珍",
    "朗杰",
    "朝格图",
    "朝鲁",
    "朝鲁门",
    "格勒",
    "格日勒",
    "格桑",
    "桑吉",
    "桑珠",
    "梅朵",
    "次仁",
    "次旦",
    "次珍",
    "欧珠",
    "毕力格",
    "洛桑",
    "满都拉",
    "特木尔",
    "玉珍",
    "琼达",
    "白玛",
    "益西",
    "米玛",
    "索南",
    "索朗",
    "罗布",
    "群培",
    "苏和",
    "苏日娜",
    "萨仁",
    "萨日娜",
    "贡嘎",
    "贡布",
    "边巴",
    "达瓦",
    "道尔吉",
    "那仁",
    "那日苏",
    "阿古拉",
    "阿拉坦",
    "阿旺",
    "阿茹娜",
    "青格勒",
    "顿珠",
    "额尔德尼",
    "额尔敦",
    "高娃",
];

/// How many parts [`MINORITY_NAME_PARTS`] a value is made of, when it is made of nothing
/// else: a single part only when it is three characters or more (`巴特尔`; `乌兰` alone is
/// also a place).
pub fn minority_name_parts(v: &str) -> Option<usize> {
    let mut rest = v;
    let mut parts = 0;
    'outer: while !rest.is_empty() {
        // Longest first: 斯日古楞 before a shorter part that would leave a stray character.
        for chars in (2..=4).rev() {
            let Some((end, _)) = rest.char_indices().nth(chars - 1) else {
                continue;
            };
            let end = end + rest[end..].chars().next().map_or(0, char::len_utf8);
            let head = &rest[..end];
            if packed_contains(&MINORITY_PACKED, head) {
                rest = &rest[end..];
                parts += 1;
                continue 'outer;
            }
        }
        return None;
    }
    (parts >= 2 || v.chars().count() >= 3).then_some(parts)
}

/// Common words of code tables that start with a surname character ([`is_code_table_word`]):
/// the provinces of [`PROVINCE_NAMES`] without their 省 (`{"dm":"32","name":"江苏"}`; a test
/// keeps the two lists in step), subjects, seasons, regions, and the nouns of product, asset
/// and category lists. None of them is a name anyone is known by (宁静 and 汪洋 are, and are
/// left out), nor a surname and a given name that Faker's zh_CN lists put together (华东,
/// 吉林, 海洋 are, and are left out too). Sorted by bytes, for the binary search (a test
/// checks the order).
const CODE_TABLE_WORDS: &[&str] = &[
    "一般",
    "万元",
    "万分",
    "上午",
    "上海",
    "下午",
    "不详",
    "东莞",
    "严格",
    "严重",
    "丧偶",
    "个体",
    "中专",
    "丰台",
    "于是",
    "云南",
    "云浮",
    "交通",
    "代码",
    "价格",
    "任务",
    "何首乌",
    "余量",
    "余额",
    "信访",
    "停用",
    "元曲",
    "党参",
    "党员",
    "全部",
    "公告",
    "公安",
    "公示",
    "公积金",
    "兰花",
    "其他",
    "其它",
    "养老",
    "内容",
    "内蒙古",
    "军人",
    "农业",
    "农学",
    "农村",
    "农民",
    "冬季",
    "决定",
    "冷链",
    "凤凰",
    "初中",
    "包头",
    "包子",
    "包装",
    "北京",
    "区域",
    "医保",
    "医疗",
    "华中",
    "华北",
    "华南",
    "华西",
    "单价",
    "单位",
    "博士",
    "卫星",
    "卫生",
    "变更",
    "台湾",
    "史学",
    "叶子",
    "叶片",
    "司机",
    "司法",
    "合同",
    "合计",
    "名称",
    "否",
    "启用",
    "周一",
    "周三",
    "周二",
    "周五",
    "周六",
    "周四",
    "周年",
    "周日",
    "周末",
    "周边",
    "唐诗",
    "商业",
    "商务",
    "四川",
    "团员",
    "国有",
    "地区",
    "城市",
    "城镇",
    "备案",
    "备注",
    "夏令营",
    "夏季",
    "外资",
    "大专",
    "天津",
    "失业",
    "女性",
    "孔雀",
    "季度",
    "学生",
    "宁夏",
    "安全",
    "安徽",
    "安排",
    "安置",
    "安装",
    "宋体",
    "宋词",
    "审批",
    "审计",
    "宫殿",
    "小学",
    "居民",
    "山东",
    "山西",
    "岳母",
    "岳父",
    "工人",
    "工伤",
    "已婚",
    "常用",
    "常规",
    "平谷",
    "年度",
    "年检",
    "广东",
    "广西",
    "应急",
    "康养",
    "康复",
    "延庆",
    "张家口",
    "张家界",
    "怀柔",
    "总计",
    "意见",
    "房产",
    "房地产",
    "房屋",
    "房山",
    "房租",
    "技校",
    "教育",
    "数量",
    "文书",
    "文件",
    "文具",
    "文化",
    "文学",
    "文本",
    "文档",
    "文物",
    "文盲",
    "文秘",
    "文艺",
    "新疆",
    "方式",
    "方案",
    "方法",
    "施工",
    "施肥",
    "无",
    "无业",
    "无效",
    "日期",
    "时代",
    "时间",
    "时间戳",
    "昌平",
    "明细",
    "春季",
    "是",
    "晋中",
    "晋城",
    "晋朝",
    "晚上",
    "景点",
    "景色",
    "暂无",
    "月度",
    "有效",
    "服务",
    "未填",
    "未婚",
    "未知",
    "本科",
    "机构",
    "来源",
    "杨树",
    "杨浦",
    "松树",
    "松江",
    "林业",
    "林地",
    "林木",
    "柏树",
    "柳树",
    "柴胡",
    "标题",
    "桂花",
    "梅花",
    "楷体",
    "正常",
    "武器",
    "武夷山",
    "武术",
    "死亡",
    "毛巾",
    "毛笔",
    "毛衣",
    "民政",
    "水利",
    "水务",
    "水果",
    "水电",
    "汇总",
    "汉族",
    "江苏",
    "江西",
    "汤圆",
    "汽车",
    "河北",
    "河南",
    "法学",
    "注销",
    "浙江",
    "海南",
    "温度",
    "湖北",
    "湖南",
    "澳门",
    "熊猫",
    "版本",
    "牛奶",
    "牛肉",
    "牧业",
    "特殊",
    "状态",
    "甘肃",
    "生育",
    "田七",
    "田地",
    "田野",
    "申请",
    "男性",
    "登记",
    "白术",
    "白菜",
    "白银",
    "省份",
    "石头",
    "石斛",
    "石景山",
    "石材",
    "石油",
    "硕士",
    "社保",
    "社区",
    "福建",
    "离异",
    "私营",
    "秋季",
    "秦朝",
    "程序",
    "程度",
    "税务",
    "章程",
    "章节",
    "竹子",
    "管理",
    "管理学",
    "管网",
    "管道",
    "类型",
    "紧急",
    "纬度",
    "经度",
    "经济学",
    "统计",
    "编号",
    "羊肉",
    "群众",
    "职高",
    "艺术学",
    "花卉",
    "花卷",
    "花园",
    "苏打",
    "苗木",
    "街道",
    "衡山",
    "衡水",
    "西藏",
    "警察",
    "计划",
    "说明",
    "谷物",
    "财政",
    "贵州",
    "费率",
    "费用",
    "贺信",
    "贺卡",
    "车次",
    "辽宁",
    "迁出",
    "连接",
    "连续",
    "连翘",
    "连锁",
    "退休",
    "通知",
    "通讯",
    "通辽",
    "邢台",
    "部门",
    "重庆",
    "重要",
    "金属",
    "金融",
    "金融业",
    "金银花",
    "金额",
    "钟声",
    "钢铁",
    "钱塘江",
    "闵行",
    "阳泉",
    "附件",
    "陆地",
    "陕西",
    "隋朝",
    "集体",
    "雷电",
    "雷雨",
    "青海",
    "韩国",
    "韩流",
    "项目",
    "香港",
    "马匹",
    "马路",
    "高中",
    "高度",
    "高速",
    "高铁",
    "鲁菜",
    "黄山",
    "黄浦",
    "黄芪",
    "黄金",
    "黑体",
    "黑龙江",
    "齐鲁",
    "龙头",
];

/// True if `v`, a short Han value that starts with a surname, is rather an entry of the code
/// tables every government API serves under a `name` member (`{"dm":"01","name":"苏州市"}`):
/// a place, an office or an ethnic group by its last character (苏州市, 公安局, 满族, 信访办,
/// 公务员), or a common word that starts with a surname character (高中, 项目, 通知, 黄金).
/// The suffixes are characters that rarely end a given name; 路, 科, 民, 金, 园, 河, 镇 and
/// 港 do (王园园, 李长河), so they are left out, and so are 山 and 江 (王山, 李江), whose
/// best-known places are listed as words instead (黄山, 松江).
/// Whether `v` ends with one of [`is_code_table_word`]'s characters of places and landmarks
/// (村, 站, 院, 庄, 楼, 阁, 桥, 岛, 州…): under a field named for a person, a name that ends
/// so is a name (孙新村, 刘长桥, 王文阁, 王海州), where an office's, a role's or a document's ending
/// (局, 员, 证) still is none.
pub fn place_table_end(v: &str) -> bool {
    v.chars()
        .next_back()
        .is_some_and(|c| "乡村街巷院站庄楼阁宫庙寺塔湖桥关岛湾洼坊淀门井潭峡谷洞浦州".contains(c))
}

pub fn is_code_table_word(v: &str) -> bool {
    // Every real name reaches this: one character test and a binary search, not a scan.
    let suffix = v.chars().next_back().is_some_and(|c| {
        matches!(
            c,
            '族' | '市'
                | '省'
                | '县'
                | '区'
                | '州'
                | '盟'
                | '旗'
                | '乡'
                | '村'
                | '街'
                | '巷'
                | '局'
                | '处'
                | '厅'
                | '委'
                | '办'
                | '院'
                | '所'
                | '站'
                | '队'
                | '室'
                | '司'
                | '店'
                | '厂'
                | '馆'
                | '部'
                | '署'
                | '员'
                | '师'
                | '证'
                | '报'
                | '表'
                | '单'
                | '簿'
                | '号'
                | '期'
                | '类'
                // Places and landmarks (石家庄, 黄鹤楼, 雍和宫, 巢湖, 秦皇岛, 王府井), and
                // foods and herbs (白酒, 甘草, 方便面), under a `name` member of a list.
                | '庄'
                | '楼'
                | '阁'
                | '宫'
                | '庙'
                | '寺'
                | '塔'
                | '湖'
                | '桥'
                | '关'
                | '岛'
                | '湾'
                | '洼'
                | '坊'
                | '淀'
                | '门'
                | '井'
                | '潭'
                | '峡'
                | '谷'
                | '洞'
                | '浦'
                | '酒'
                | '茶'
                | '药'
                | '草'
                | '面'
                // Colours (黄色, 白色), which no given name ends with.
                | '色'
        )
    });
    suffix || packed_contains(&CODE_TABLE_PACKED, v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_table_words_are_sorted_for_the_binary_search() {
        assert!(super::CODE_TABLE_WORDS.windows(2).all(|w| w[0] < w[1]));
        // The packed tables sort as the words do (the binary search needs it), and hold them.
        for (words, packed) in [
            (super::CODE_TABLE_WORDS, &super::CODE_TABLE_PACKED[..]),
            (super::COMPOUND_SURNAMES, &super::COMPOUND_PACKED[..]),
            (super::MINORITY_NAME_PARTS, &super::MINORITY_PACKED[..]),
        ] {
            assert!(packed.windows(2).all(|w| w[0] < w[1]));
            for w in words {
                assert!(super::packed_contains(packed, w), "{w}");
                // A prefix or an extension of a word is another word.
                let shorter = &w[..w.char_indices().last().map_or(0, |(i, _)| i)];
                assert_eq!(
                    super::packed_contains(packed, shorter),
                    words.contains(&shorter)
                );
                let longer = format!("{w}子");
                assert_eq!(
                    super::packed_contains(packed, &longer),
                    words.contains(&longer.as_str())
                );
            }
        }
        assert!(super::MINORITY_NAME_PARTS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(super::minority_name_parts("扎西多吉"), Some(2));
        assert_eq!(super::minority_name_parts("乌兰其其格"), Some(2));
        assert_eq!(super::minority_name_parts("巴特尔"), Some(1));
        assert_eq!(super::minority_name_parts("乌兰"), None);
        assert_eq!(super::minority_name_parts("扎西多"), None);
        assert_eq!(super::minority_name_parts("华为手机"), None);
        for w in ["高中", "项目", "黄金", "房地产"] {
            assert!(super::is_code_table_word(w), "{w}");
        }
        for w in ["石家庄", "黄鹤楼", "巢湖", "黄山", "周庄", "海关", "金银花"] {
            assert!(super::is_code_table_word(w), "{w}");
        }
        // Every province but 吉林 (a Faker name) is in the word table, not a second list
        // searched on every name; subjects, colours, seasons, regions, nouns of lists.
        for w in super::PROVINCE_NAMES.iter().filter(|&&p| p != "吉林") {
            assert!(super::is_code_table_word(w), "{w}");
        }
        for w in ["史学", "黄色", "红色", "秋季", "华南", "孔雀", "马路"] {
            assert!(super::is_code_table_word(w), "{w}");
        }
        for name in [
            "张伟",
            "高明",
            "黄金华",
            "项羽",
            "王山",
            "李江",
            "周海涛",
            "王园园",
            "李长河",
            "黄镇",
            "陈港",
            "石林",
            "黄龙",
            // Known by these names, or made by Faker's zh_CN lists.
            "汪洋",
            "宁静",
            "华东",
            "海洋",
            "吉林",
            "李宁",
        ] {
            assert!(!super::is_code_table_word(name), "{name}");
        }
    }

    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(SINGLE_SURNAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(super::GIVEN_NAME_CHARS.windows(2).all(|w| w[0] < w[1]));
        assert!(super::COMMON_SURNAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(COMPOUND_SURNAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(COMPOUND_SURNAMES.iter().all(|s| s.chars().count() == 2));
        assert!(SINGLE_SURNAMES.len() >= 500);
        assert!(super::NAMED_NOT_PERSONS.windows(2).all(|w| w[0] < w[1]));
        assert!(super::PINYIN_SYLLABLES.windows(2).all(|w| w[0] < w[1]));
        assert!(super::PLACE_ENDS.windows(2).all(|w| w[0] < w[1]));
        // A place's ending is no given name's character.
        assert!(super::PLACE_ENDS
            .iter()
            .chain(&super::FAMILY_PLACE_ENDS.chars().collect::<Vec<_>>())
            .all(|c| super::GIVEN_NAME_CHARS.binary_search(c).is_err()));
    }

    /// The given names of Faker's zh_CN provider (faker 40.63.0, as `.ci/run` pins it:
    /// `first_names`, `first_names_male`, `first_names_female`), which the CI's Faker check
    /// writes under `name` keys too.
    const FAKER_GIVEN_NAMES: &str = "东 丹 丹丹 丽 丽丽 丽华 丽娟 云 亮 伟 佳 俊 倩 健 兰英 兵 军 冬梅 \
        凤兰 凤英 凯 刚 利 勇 华 博 坤 娜 娟 婷 婷婷 宁 宇 小红 岩 峰 帅 帆 平 建 建军 建华 建国 建平 \
        强 彬 志强 想 慧 成 敏 文 斌 旭 明 春梅 晨 晶 杨 杰 林 柳 桂兰 桂珍 桂芝 桂花 桂芳 桂英 桂荣 \
        桂香 梅 楠 欢 欣 波 洁 洋 浩 海燕 涛 淑兰 淑华 淑珍 淑英 燕 玉 玉兰 玉华 玉梅 玉珍 玉英 玲 琳 \
        琴 瑜 瑞 璐 畅 磊 秀云 秀兰 秀华 秀梅 秀珍 秀芳 秀英 秀荣 红 红梅 红霞 艳 芳 英 荣 莉 莹 萍 \
        超 辉 金凤 鑫 阳 雪 雪梅 雷 霞 静 颖 飞 鹏 龙";

    #[test]
    fn thing_chars_are_no_given_name_chars() {
        assert!(THING_CHARS.windows(2).all(|w| w[0] < w[1]));
        assert!(THING_CHARS
            .iter()
            .all(|c| GIVEN_NAME_CHARS.binary_search(c).is_err()));
        for c in FAKER_GIVEN_NAMES.chars().filter(|c| !c.is_whitespace()) {
            assert!(THING_CHARS.binary_search(&c).is_err(), "{c}");
        }
        // Every Faker given name after the commonest surnames, and names that end as a
        // town's does with one given character, are no things.
        for given in FAKER_GIVEN_NAMES.split_whitespace() {
            for surname in ["王", "李", "张", "刘", "陈", "黄", "欧阳", "司马"] {
                let v = format!("{surname}{given}");
                assert!(!thing_word(&v), "{v}");
            }
        }
        for name in [
            "黄镇",
            "王镇",
            "欧阳镇",
            "杜鹃",
            "杨梅",
            "汪洋",
            "黎明",
            "马骏",
        ] {
            assert!(!thing_word(name), "{name}");
        }
    }

    #[test]
    fn thing_words_by_their_given_part() {
        for w in [
            "银杏",
            "朱鹮",
            "黄瓜",
            "马铃薯",
            "胡萝卜",
            "江米",
            "花椒",
            "雷阵雨",
            "陶瓷",
            "沙河镇",
            "景德镇",
            "李庄镇",
            "白条鸡",
            "沙尘暴",
            "秋分",
            "国庆节",
            "扬子鳄",
            "欧阳村",
        ] {
            assert!(thing_word(w), "{w}");
        }
    }

    #[test]
    fn title_last_chars_cover_every_title() {
        for t in super::POST_TITLES.iter().chain(super::COURTESY_TITLES) {
            let last = t.chars().next_back().unwrap();
            assert!(super::TITLE_LAST_CHARS.contains(last), "{t}");
        }
    }

    #[test]
    fn role_prefixes_longest_first_and_normalized() {
        // The lookup strips the first role that fits, so a longer role must come before
        // any shorter one (`emergencycontact` before `contact`), and roles are compared
        // with normalized keys (ASCII lower case, no separators).
        assert!(PERSON_ROLE_PREFIXES
            .windows(2)
            .all(|w| w[0].len() >= w[1].len()));
        // (And none is empty: the lookup lists them by first byte.)
        assert!(PERSON_ROLE_PREFIXES.iter().all(|r| !r.is_empty()
            && r.bytes()
                .all(|b| !b.is_ascii_uppercase() && !matches!(b, b'_' | b'-' | b'.' | b' '))));
    }

    #[test]
    fn surnames() {
        assert_eq!(surname_len("张三"), Some(3));
        assert_eq!(surname_len("王小明"), Some(3));
        assert_eq!(surname_len("欧阳娜娜"), Some(6));
        assert_eq!(surname_len("司马光"), Some(6));
        assert_eq!(surname_len("诸葛亮"), Some(6));
        assert_eq!(surname_len("上官婉儿"), Some(6));
        assert_eq!(surname_len("爱新觉罗·溥仪"), Some(12));
        assert_eq!(surname_len("覃海洋"), Some(3));
        assert_eq!(surname_len("肖战"), Some(3));
        assert_eq!(surname_len("司"), Some(3));
        assert_eq!(surname_len("的确"), None);
        assert_eq!(surname_len("abc"), None);
        assert_eq!(surname_len(""), None);
    }

    #[test]
    fn plates_markers_provinces() {
        assert!(is_plate_province('京'));
        assert!(is_plate_province('粤'));
        assert!(is_plate_province('使'));
        assert!(!is_plate_province('港'));
        assert!(!is_plate_province('A'));
        assert!(is_address_marker('号'));
        assert!(is_address_marker('室'));
        assert!(!is_address_marker('的'));
        assert_eq!(PROVINCE_NAMES.len(), 34);
        assert!(PROVINCE_NAMES.contains(&"内蒙古"));
        assert!(starts_with_region("福建省嘉禾市平山巢湖街c座"));
        assert!(starts_with_region("北京朝阳区建国路88号"));
        assert!(starts_with_region("嘉禾市平山巢湖街c座 546281"));
        assert!(!starts_with_region("组织城市一些无法活动"));
        assert!(!starts_with_region("平山巢湖街c座"));
        assert!(starts_with_region("徐汇区金沙江路95号24栋491室"));
        assert!(starts_with_region("沙依巴克区中山路20号10栋1382室"));
        assert!(!starts_with_region("组织小区居民开展活动"));
        assert!(is_label_word("信息"));
        assert!(!is_label_word("王芳"));
    }
}
