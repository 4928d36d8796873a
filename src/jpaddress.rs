//! The prefecture and the city of a Japanese address, as an OV server certificate's
//! stateOrProvinceName and localityName carry them (BR 7.1.2.7.4).
//!
//! Addresses are written most general first: 都道府県, then 市 or 特別区 (or 郡 and 町/村),
//! then the rest. A city name may itself contain 市/区/町/村 (市川市, 四日市市, 町田市,
//! 東村山市), so the city ends at the first 市 or 区 that leaves at least two characters,
//! taking a doubled 市 whole; after a 郡 it ends at the first 町 or 村 the same way.

/// The 47 prefectures (JIS X 0401 order).
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// Prefecture and municipality of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locality {
    pub prefecture: String,
    pub city: String,
}

/// The prefecture and city `address` starts with (after a postal code, if one leads), or
/// `None` when it does not start with a prefecture followed by a municipality.
pub fn locality(address: &str) -> Option<Locality> {
    let rest = skip_postal_code(address.trim());
    let prefecture = PREFECTURES.iter().find(|p| rest.starts_with(**p))?;
    let rest = rest[prefecture.len()..].trim_start();
    let city = match rest.find('郡') {
        // A 郡 before any 市 or 区: a town or village of that district.
        Some(gun) if gun >= 2 * '郡'.len_utf8() && !rest[..gun].contains(['市', '区']) => {
            let after = &rest[gun + '郡'.len_utf8()..];
            format!("{}{}", &rest[..gun + '郡'.len_utf8()], municipality(after, &['町', '村'])?)
        }
        _ => municipality(rest, &['市', '区'])?.to_string(),
    };
    Some(Locality { prefecture: prefecture.to_string(), city })
}

/// The leading name ending at the first of `ends` that leaves two characters or more; a
/// doubled 市 (四日市市) is taken whole.
fn municipality<'a>(s: &'a str, ends: &[char]) -> Option<&'a str> {
    let (i, c) = s.char_indices().enumerate().find(|(n, (_, c))| *n >= 1 && ends.contains(c)).map(|(_, ic)| ic)?;
    let mut end = i + c.len_utf8();
    if c == '市' && s[end..].starts_with('市') {
        end += '市'.len_utf8();
    }
    Some(&s[..end])
}

/// "〒150-0001 " or "150-0001 " before the address proper.
fn skip_postal_code(s: &str) -> &str {
    let t = s.trim_start_matches('〒').trim_start();
    let digits: String = t.chars().take(8).collect();
    let is_code =
        digits.len() == 8 && digits.char_indices().all(|(i, c)| if i == 3 { c == '-' } else { c.is_ascii_digit() });
    if is_code {
        t[8..].trim_start()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(a: &str) -> Option<(String, String)> {
        locality(a).map(|l| (l.prefecture, l.city))
    }

    fn some(p: &str, c: &str) -> Option<(String, String)> {
        Some((p.into(), c.into()))
    }

    #[test]
    fn wards_cities_and_designated_cities() {
        assert_eq!(l("東京都渋谷区神宮前1-5-1"), some("東京都", "渋谷区"));
        assert_eq!(l("東京都新宿区市谷本村町5-1"), some("東京都", "新宿区"));
        assert_eq!(l("大阪府大阪市北区梅田1-1"), some("大阪府", "大阪市"));
        assert_eq!(l("神奈川県横浜市西区みなとみらい2-2-1"), some("神奈川県", "横浜市"));
        assert_eq!(l("東京都八王子市元本郷町3-24-1"), some("東京都", "八王子市"));
    }

    #[test]
    fn city_names_that_hold_the_marks_themselves() {
        assert_eq!(l("千葉県市川市八幡1-1-1"), some("千葉県", "市川市"));
        assert_eq!(l("三重県四日市市諏訪町1-5"), some("三重県", "四日市市"));
        assert_eq!(l("広島県廿日市市下平良1-11-1"), some("広島県", "廿日市市"));
        assert_eq!(l("東京都町田市森野2-2-22"), some("東京都", "町田市"));
        assert_eq!(l("東京都東村山市本町1-2-3"), some("東京都", "東村山市"));
        assert_eq!(l("山形県村山市中央1-3-6"), some("山形県", "村山市"));
    }

    #[test]
    fn towns_and_villages_keep_their_district() {
        assert_eq!(l("北海道虻田郡倶知安町北1条東3-3"), some("北海道", "虻田郡倶知安町"));
        assert_eq!(l("長野県北佐久郡軽井沢町軽井沢1323"), some("長野県", "北佐久郡軽井沢町"));
        assert_eq!(l("沖縄県島尻郡渡嘉敷村渡嘉敷183"), some("沖縄県", "島尻郡渡嘉敷村"));
    }

    #[test]
    fn a_postal_code_may_lead_and_anything_else_is_none() {
        assert_eq!(l("〒150-0001 東京都渋谷区神宮前1-5-1"), some("東京都", "渋谷区"));
        assert_eq!(l("150-0001 東京都渋谷区"), some("東京都", "渋谷区"));
        assert_eq!(l("渋谷区神宮前1-5-1"), None, "no prefecture");
        assert_eq!(l("東京都"), None, "no city");
        assert_eq!(l(""), None);
        assert_eq!(l("Tokyo, Shibuya"), None);
    }
}
