//! The mails certbatch sends: a small RFC 5322 / MIME builder on top of `mail-builder`, the
//! download-URL and expiry notices, and mails worded by a template (review results, issue
//! mails with attachments, notices after issue).
//!
//! Headers are 7-bit: the Japanese display name and subject become RFC 2047 encoded-words, folded
//! by `mail-builder`. The body is `text/plain; charset=utf-8`; `mail-builder` picks base64 or
//! quoted-printable, whose lines are at most 76 characters. Every line ends with CRLF.
//!
//! The download-URL mail has no parameter for a PIN or password, on purpose: the secrets travel
//! only by post (seed 001 §4.5).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset};
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};
use mail_builder::MessageBuilder;

/// Who the mail is from.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Japanese display name, e.g. "〇〇認証局 電子証明書窓口".
    pub name: String,
    pub address: String,
    /// Right-hand side of the Message-ID.
    pub domain: String,
}

/// One mail to one addressee.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    /// Plain text, Japanese. Line ends may be LF or CRLF; the output is CRLF either way.
    pub body: String,
    pub date: DateTime<FixedOffset>,
    /// Files after the text (the mail becomes multipart/mixed).
    pub attachments: Vec<Attachment>,
}

/// A file a mail carries: a server certificate and its chain, as PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub const SUBJECT_DOWNLOAD_URL: &str = "電子証明書ダウンロードURLのお知らせ";
pub const SUBJECT_EXPIRY: &str = "電子証明書有効期限のお知らせ";

/// Days the download URL stays valid after issue.
pub const DOWNLOAD_VALID_DAYS: u32 = 30;

/// Builds the RFC 5322 message: From, To, Subject, Date (with the mail's own offset, e.g.
/// +0900), Message-ID (`<hash@domain>` of the mail's contents), MIME-Version, Content-Type text/plain; charset=utf-8,
/// and a base64 or quoted-printable body. CRLF line endings throughout.
pub fn build(sender: &Sender, mail: &Mail) -> Result<Vec<u8>> {
    check_header_text("sender name", &sender.name)?;
    check_address("sender address", &sender.address)?;
    check_domain(&sender.domain)?;
    check_header_text("addressee name", &mail.to_name)?;
    check_address("addressee address", &mail.to_address)?;
    check_header_text("subject", &mail.subject)?;
    if mail.subject.trim().is_empty() {
        bail!("the subject is empty");
    }
    if mail.body.contains('\0') {
        bail!("the body contains a NUL character");
    }

    let body = normalize_body(&mail.body);
    for a in &mail.attachments {
        check_header_text("attachment name", &a.file_name)?;
        if !a.file_name.is_ascii() || a.file_name.contains(['/', '\\', '"']) {
            bail!("attachment name {:?} must be a plain ASCII file name", a.file_name);
        }
    }
    let mut builder = MessageBuilder::new()
        .from(Address::new_address(Some(sender.name.clone()), sender.address.clone()))
        .to(Address::new_address(Some(mail.to_name.clone()), mail.to_address.clone()))
        .subject(mail.subject.clone())
        .header("Date", Raw::new(mail.date.to_rfc2822()))
        .message_id(MessageId::new(message_id(&sender.domain, mail)))
        .header("MIME-Version", Raw::new("1.0"));
    if mail.attachments.is_empty() {
        builder = builder.text_body(body);
    } else {
        // mail-builder draws a random boundary unless the part names one: named from the
        // Message-ID, a rerun writes the same bytes.
        let boundary = format!("certbatch-{}", &message_id(&sender.domain, mail)[..32]);
        let mut parts = vec![MimePart::new("text/plain", BodyPart::Text(body.into()))];
        for a in &mail.attachments {
            parts.push(
                MimePart::new(a.content_type.clone(), BodyPart::Binary(a.bytes.clone().into()))
                    .attachment(a.file_name.clone()),
            );
        }
        let mixed = ContentType::new("multipart/mixed").attribute("boundary", boundary);
        builder = builder.body(MimePart::new(mixed, BodyPart::Multipart(parts)));
    }
    let bytes = builder.write_to_vec().context("writing the mail")?;
    Ok(bytes)
}

/// 電子証明書ダウンロードURLのお知らせ. `expires` is the last day of the 30 days after issue,
/// already in Japanese (e.g. "令和8年12月21日"). There is deliberately no PIN or password
/// parameter: they are sent by post.
pub fn download_url_mail(
    sender: &Sender,
    to_name: &str,
    to_address: &str,
    application_id: &str,
    url: &str,
    expires: &str,
    date: DateTime<FixedOffset>,
) -> Result<Vec<u8>> {
    check_application_id(application_id)?;
    check_line("expires", expires)?;
    if !url.starts_with("https://") || url.len() <= "https://".len() || url.chars().any(|c| c.is_whitespace()) {
        bail!("the download URL must be an https:// URL without spaces: {url:?}");
    }
    let mut b = letter_head(to_name, application_id);
    b.push_str(
        "このたびは電子証明書をお申し込みいただき、誠にありがとうございます。\n\
         電子証明書を発行いたしましたので、下記のURLからダウンロードしてください。\n\n",
    );
    b.push_str("■ダウンロードURL\n");
    b.push_str(url);
    b.push_str("\n\n■ダウンロードURLの有効期間\n");
    b.push_str(&format!("・発行日から{DOWNLOAD_VALID_DAYS}日間（{expires}まで）有効です。\n"));
    b.push_str(
        "・初回のダウンロードを開始してから1時間を過ぎると、上記の期限内であってもご利用いただけなくなります。\n\
         \u{3000}ダウンロードは、準備が整ってから開始してください。\n\n",
    );
    b.push_str(
        "■パスワードとPINコードについて\n\
         ダウンロードに必要なパスワードと、電子証明書のPINコードは、このメールには記載しておりません。\n\
         いずれも別途、郵送にてお届けします。お手元に届いてから、上記のURLにアクセスしてください。\n\
         パスワードやPINコードをメールや電話でお尋ねすることはございません。\n\
         また、メールや電話でのお問い合わせにはお答えできませんので、ご了承ください。\n",
    );
    b.push_str(&letter_foot(sender));
    build(
        sender,
        &Mail {
            to_name: to_name.into(),
            to_address: to_address.into(),
            subject: SUBJECT_DOWNLOAD_URL.into(),
            body: b,
            date,
            attachments: Vec::new(),
        },
    )
}

/// The certificate an expiry notice is about, its dates shown as given (`expires_at` as
/// "YYYY年MM月DD日 23:59:59"); the serial is what a renewal writes in `renewal_of`.
#[derive(Debug, Clone, Copy)]
pub struct Expiring<'a> {
    pub serial: &'a str,
    pub issued_on: &'a str,
    pub expires_at: &'a str,
}

/// 電子証明書有効期限のお知らせ.
pub fn expiry_notice_mail(
    sender: &Sender,
    to_name: &str,
    to_address: &str,
    application_id: &str,
    cert: Expiring,
    date: DateTime<FixedOffset>,
) -> Result<Vec<u8>> {
    let Expiring { serial, issued_on, expires_at } = cert;
    check_application_id(application_id)?;
    check_line("serial", serial)?;
    check_line("issued_on", issued_on)?;
    check_line("expires_at", expires_at)?;
    let mut b = letter_head(to_name, application_id);
    b.push_str(
        "いつも電子証明書をご利用いただき、誠にありがとうございます。\n\
         ご利用中の電子証明書の有効期限が近づいておりますので、お知らせします。\n\n",
    );
    b.push_str(&format!("■電子証明書\nシリアル番号：{serial}\n発行日：{issued_on}\n有効期限：{expires_at}\n\n"));
    b.push_str(
        "有効期限を過ぎると、この電子証明書はご利用いただけなくなります。\n\
         引き続きご利用になる場合は、有効期限までに余裕をもって、新しい電子証明書をお申し込みください。\n\
         更新のお申し込みでは、申込書の「更新元シリアル」欄に上記のシリアル番号をご記入ください。\n",
    );
    b.push_str(&letter_foot(sender));
    build(
        sender,
        &Mail {
            to_name: to_name.into(),
            to_address: to_address.into(),
            subject: SUBJECT_EXPIRY.into(),
            body: b,
            date,
            attachments: Vec::new(),
        },
    )
}

/// A notice whose words are a letter template (`pipelines/letters/<kind>.toml`), filled:
/// the template's title is the subject, its paragraphs the body.
pub fn template_mail(
    sender: &Sender,
    to_name: &str,
    to_address: &str,
    application_id: &str,
    subject: &str,
    paragraphs: &[String],
    date: DateTime<FixedOffset>,
) -> Result<Vec<u8>> {
    let foot =
        ["※このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。".to_string()];
    worded_mail(sender, to_name, to_address, application_id, subject, paragraphs, &foot, Vec::new(), date)
}

/// A mail worded by a product's template (`pipelines/letters/<product>/mail_*.toml`): the
/// application code, the filled paragraphs, the template's footer lines, then the sender.
#[allow(clippy::too_many_arguments)]
pub fn worded_mail(
    sender: &Sender,
    to_name: &str,
    to_address: &str,
    application_id: &str,
    subject: &str,
    paragraphs: &[String],
    footer: &[String],
    attachments: Vec<Attachment>,
    date: DateTime<FixedOffset>,
) -> Result<Vec<u8>> {
    check_application_id(application_id)?;
    let mut b = format!("お申し込みコード：{application_id}\n\n");
    b.push_str(&paragraphs.join("\n\n"));
    b.push('\n');
    if !footer.is_empty() {
        b.push('\n');
        b.push_str(&footer.join("\n"));
        b.push('\n');
    }
    b.push_str(&format!("\n──────────────────\n{}\n──────────────────\n", one_line(&sender.name)));
    build(
        sender,
        &Mail {
            to_name: to_name.into(),
            to_address: to_address.into(),
            subject: subject.into(),
            body: b,
            date,
            attachments,
        },
    )
}

fn letter_head(to_name: &str, application_id: &str) -> String {
    format!("{} 様\n\nお申し込みコード：{}\n\n", one_line(to_name), application_id)
}

fn letter_foot(sender: &Sender) -> String {
    format!(
        "\n※このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。\n\
         ※お心当たりのない場合は、このメールを破棄してください。\n\n\
         ──────────────────\n{}\n──────────────────\n",
        one_line(&sender.name)
    )
}

/// Collapses any line breaks in a value that is shown on one line.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// LF line ends; `mail-builder` encodes the body and the encoded lines end with CRLF.
fn normalize_body(body: &str) -> String {
    let mut s = body.replace("\r\n", "\n").replace('\r', "\n");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.replace('\n', "\r\n")
}

/// `<32 hex chars>@domain`, without the angle brackets, derived from what the mail is
/// about (addressee, subject, date, body): a rerun that writes the same mail again gives it
/// the same Message-ID, so a mail sender that has sent it once recognises it.
fn message_id(domain: &str, mail: &Mail) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [&mail.to_address, &mail.subject, &mail.date.to_rfc3339(), &mail.body] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for a in &mail.attachments {
        h.update(a.file_name.as_bytes());
        h.update([0]);
        h.update(&a.bytes);
        h.update([0]);
    }
    format!("{}@{domain}", crate::record::hex(&h.finalize()[..16]))
}

fn check_header_text(what: &str, s: &str) -> Result<()> {
    if s.chars().any(|c| c.is_control()) {
        bail!("the {what} contains a control character (line break?): {s:?}");
    }
    Ok(())
}

fn check_line(what: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() || s.chars().any(|c| c.is_control()) {
        bail!("{what} must be one non-empty line: {s:?}");
    }
    Ok(())
}

fn check_application_id(id: &str) -> Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("bad application code {id:?}");
    }
    Ok(())
}

/// The one email-address rule (the intake's: one `@`, a plausible local part, a dotted
/// domain of letters, digits and hyphens), so a mail is never refused for an address the
/// screening accepted, nor sent to one it refused.
fn check_address(what: &str, a: &str) -> Result<()> {
    if !crate::intake::fields::is_plausible_email(a) {
        bail!("bad {what} {a:?}");
    }
    Ok(())
}

/// The right-hand side of a Message-ID: a domain by the same rule.
fn check_domain(d: &str) -> Result<()> {
    if !crate::intake::fields::is_plausible_domain(d) {
        bail!("bad domain {d:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPIRING: Expiring<'static> =
        Expiring { serial: "0a1b", issued_on: "2025年12月21日", expires_at: "2026年12月21日 23:59:59" };
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    /// Parses the message with Python's `email` package (policy.default) and checks the headers;
    /// prints the Message-ID on the first line, then the decoded body (`get_content()`).
    const PY_CHECK: &str = r#"
import sys, re, email, email.policy, email.header, datetime
data = sys.stdin.buffer.read()
subject, from_name, from_addr, to_name, to_addr, date_iso, domain, *needles = sys.argv[1:]
m = email.message_from_bytes(data, policy=email.policy.default)
assert not m.defects, m.defects
assert m['Subject'] == subject, (m['Subject'], subject)
# From: a conforming RFC 2047 decoder (6.2: whitespace between adjacent encoded-words is ignored)
raw = email.message_from_bytes(data)  # compat32: raw header text
dec = str(email.header.make_header(email.header.decode_header(raw['From'])))
assert dec == f'{from_name} <{from_addr}>', (dec, from_name)
fa = m['From'].addresses
assert len(fa) == 1 and fa[0].addr_spec == from_addr, fa
# CPython's structured-header parser keeps the fold between two encoded-words of one phrase
# as a space, so compare exactly only when the name fits one encoded-word.
n_words = raw['From'].count('=?')
got = fa[0].display_name
assert (got == from_name) if n_words == 1 else (got.replace(' ', '') == from_name.replace(' ', '')), (got, from_name)
ta = m['To'].addresses
assert len(ta) == 1 and ta[0].addr_spec == to_addr and ta[0].display_name == to_name, ta
d = m['Date'].datetime
assert d == datetime.datetime.fromisoformat(date_iso), (d, date_iso)
assert d.utcoffset() == datetime.datetime.fromisoformat(date_iso).utcoffset()
mid = m['Message-ID']
assert re.fullmatch(r'<[0-9a-f]{32}@' + re.escape(domain) + '>', mid), mid
assert m['MIME-Version'] == '1.0'
assert m.get_content_type() == 'text/plain' and m.get_content_charset() == 'utf-8', m['Content-Type']
assert m['Content-Transfer-Encoding'] in ('base64', 'quoted-printable'), m['Content-Transfer-Encoding']
body = m.get_content().replace('\r\n', '\n')
for n in needles:
    assert n in body, ('missing in body', n)
sys.stdout.write(mid + '\n' + body)
"#;

    struct Parsed {
        message_id: String,
        body: String,
    }

    fn sender() -> Sender {
        Sender {
            name: "サンプル認証局".into(),
            address: "noreply@ca.example.jp".into(),
            domain: "ca.example.jp".into(),
        }
    }

    fn long_sender() -> Sender {
        Sender {
            name: "株式会社サンプル認証局 電子証明書発行窓口".into(),
            address: "noreply@ca.example.jp".into(),
            domain: "mail.ca.example.jp".into(),
        }
    }

    fn date() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-21T09:30:00+09:00").unwrap()
    }

    const TO_NAME: &str = "山田 太郎";
    const TO_ADDR: &str = "taro.yamada@example.com";
    const APP: &str = "AP-20261121-0001";

    /// Raw-byte checks: 7-bit, every line ends with CRLF, no line over 78 (so also under 998).
    fn check_lines(bytes: &[u8]) {
        assert!(bytes.is_ascii(), "the message must be 7-bit");
        assert!(bytes.ends_with(b"\r\n"));
        let text = std::str::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert!(lines.len() > 10);
        for line in &lines {
            assert!(!line.contains('\r') && !line.contains('\n'), "bare CR or LF in {line:?}");
            assert!(line.len() <= 998, "line over 998: {line:?}");
            assert!(line.len() <= 78, "line over 78: {line:?}");
        }
        assert!(text.contains("\r\nDate: Sat, 21 Nov 2026 09:30:00 +0900\r\n"), "{text}");
        assert!(text.contains("\r\nSubject: =?utf-8?"), "subject is RFC 2047 encoded");
        assert!(text.starts_with("From: =?utf-8?"), "display name is RFC 2047 encoded");
    }

    fn parse(bytes: &[u8], s: &Sender, subject: &str, needles: &[&str]) -> Parsed {
        check_lines(bytes);
        let mut args: Vec<String> = vec![
            subject.into(),
            s.name.clone(),
            s.address.clone(),
            TO_NAME.into(),
            TO_ADDR.into(),
            date().to_rfc3339(),
            s.domain.clone(),
        ];
        args.extend(needles.iter().map(|n| n.to_string()));
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(PY_CHECK)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "python check failed:\n{}\n--- message ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(bytes)
        );
        let out = String::from_utf8(out.stdout).unwrap();
        let (mid, body) = out.split_once('\n').unwrap();
        Parsed { message_id: mid.into(), body: body.into() }
    }

    fn download(s: &Sender) -> Vec<u8> {
        download_url_mail(
            s,
            TO_NAME,
            TO_ADDR,
            APP,
            "https://ca.example.jp/certbatch/download/3f9a0c7e-5b1d-4e2a-9c8f-0a1b2c3d4e5f?lang=ja&from=mail",
            "令和8年12月21日",
            date(),
        )
        .unwrap()
    }

    #[test]
    fn download_url_mail_parses_and_has_no_secret() {
        // Secrets that exist in the pipeline but cannot be passed: the function has no parameter.
        let fake_pin = "Xk7pQ2mZ";
        let fake_password = "48213907";
        let url = "https://ca.example.jp/certbatch/download/3f9a0c7e-5b1d-4e2a-9c8f-0a1b2c3d4e5f?lang=ja&from=mail";
        for s in [sender(), long_sender()] {
            let a = parse(
                &download(&s),
                &s,
                SUBJECT_DOWNLOAD_URL,
                &[
                    url,
                    "令和8年12月21日まで",
                    "30日間",
                    "1時間",
                    "郵送",
                    APP,
                    "お申し込みコード",
                    "山田 太郎 様",
                    s.name.as_str(),
                ],
            );
            let b = parse(&download(&s), &s, SUBJECT_DOWNLOAD_URL, &[]);
            assert_eq!(a.message_id, b.message_id, "the same mail written again has the same Message-ID");
            assert_eq!(a.body, b.body);
            let body = &a.body;
            for secret in [fake_pin, fake_password] {
                assert!(!body.contains(secret));
            }
            for label in ["PIN: ", "PIN:", "PINコード：", "PINコード:", "パスワード：", "パスワード:"]
            {
                assert!(!body.contains(label), "{label:?} in body");
            }
            // No 8-digit number anywhere but inside the application code and URL.
            let rest = body.replace(APP, "").replace(url, "");
            let mut run = 0;
            for c in rest.chars() {
                run = if c.is_ascii_digit() { run + 1 } else { 0 };
                assert!(run < 8, "an 8-digit number in the body:\n{body}");
            }
        }
    }

    #[test]
    fn a_worded_mail_carries_its_attachments_and_python_reads_them() {
        let s = sender();
        let pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec();
        let attach = |name: &str| Attachment {
            file_name: name.into(),
            content_type: "application/x-pem-file".into(),
            bytes: pem.clone(),
        };
        let paragraphs = vec!["山田 太郎 様".to_string(), "発行しました。".to_string()];
        let footer = vec!["※送信専用".to_string()];
        let mail = |attachments| {
            worded_mail(&s, TO_NAME, TO_ADDR, APP, "発行のお知らせ", &paragraphs, &footer, attachments, date()).unwrap()
        };
        let m = mail(vec![attach("certificate.pem"), attach("chain.pem")]);
        assert_eq!(m, mail(vec![attach("certificate.pem"), attach("chain.pem")]), "a rerun writes the same bytes");
        assert_ne!(m, mail(vec![attach("certificate.pem")]), "another attachment, another mail");
        let py = r#"
import sys, email, email.policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
assert not m.defects, m.defects
assert m.get_content_type() == 'multipart/mixed', m.get_content_type()
body = m.get_body(('plain',)).get_content()
assert '発行しました。' in body and '※送信専用' in body and 'お申し込みコード' in body, body
names = [(a.get_filename(), a.get_content()) for a in m.iter_attachments()]
assert [n for n, _ in names] == ['certificate.pem', 'chain.pem'], names
assert all(b'BEGIN CERTIFICATE' in (c if isinstance(c, bytes) else c.encode()) for _, c in names)
"#;
        let mut child = Command::new("python3")
            .args(["-c", py])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(&m).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&m));
        let bad = Attachment { file_name: "../x.pem".into(), ..attach("x") };
        assert!(worded_mail(&s, TO_NAME, TO_ADDR, APP, "x", &paragraphs, &[], vec![bad], date()).is_err());
    }

    #[test]
    fn expiry_notice() {
        let s = sender();
        let m = expiry_notice_mail(&s, TO_NAME, TO_ADDR, APP, EXPIRING, date()).unwrap();
        let p = parse(
            &m,
            &s,
            SUBJECT_EXPIRY,
            &[APP, "山田 太郎 様", "発行日：2025年12月21日", "有効期限：2026年12月21日 23:59:59"],
        );
        let again = expiry_notice_mail(&s, TO_NAME, "other@example.jp", APP, EXPIRING, date()).unwrap();
        assert!(
            !again.windows(p.message_id.len()).any(|w| w == p.message_id.as_bytes()),
            "another addressee, another id"
        );
    }

    #[test]
    fn build_plain_mail() {
        let s = sender();
        let body = "一行目\r\n二行目\n".to_string() + &"長い行".repeat(60);
        let mail = Mail {
            to_name: TO_NAME.into(),
            to_address: TO_ADDR.into(),
            subject: "テスト".repeat(20),
            body: body.clone(),
            date: date(),
            attachments: Vec::new(),
        };
        let p = parse(&build(&s, &mail).unwrap(), &s, &mail.subject, &["一行目\n二行目\n", &"長い行".repeat(60)]);
        assert!(p.body.ends_with('\n'));
    }

    #[test]
    fn rejects_bad_input() {
        let s = sender();
        let d = date();
        let url = "https://ca.example.jp/d/x";
        assert!(download_url_mail(&s, "山田\r\nBcc: x@evil.example", TO_ADDR, APP, url, "令和8年", d).is_err());
        assert!(download_url_mail(&s, TO_NAME, "a@b.example\r\nBcc: x@evil.example", APP, url, "令和8年", d).is_err());
        assert!(download_url_mail(&s, TO_NAME, "not-an-address", APP, url, "令和8年", d).is_err());
        assert!(download_url_mail(&s, TO_NAME, TO_ADDR, APP, "http://ca.example.jp/d", "令和8年", d).is_err());
        assert!(download_url_mail(&s, TO_NAME, TO_ADDR, "", url, "令和8年", d).is_err());
        assert!(download_url_mail(&s, TO_NAME, TO_ADDR, APP, url, "", d).is_err());
        let bad = Sender { domain: "bad domain".into(), ..sender() };
        assert!(expiry_notice_mail(
            &bad,
            TO_NAME,
            TO_ADDR,
            APP,
            Expiring { serial: "0a", issued_on: "a", expires_at: "b" },
            d
        )
        .is_err());
    }
}
