//! Member import from CSV: `name, e-mail or nickname, position`, one person per line.
//!
//! [`parse`] reads pasted or uploaded text (comma- or tab-separated, quoted fields allowed, an
//! optional header line) and reports every bad row by its line number; [`apply`] merges the
//! rows into a [`Setup`]: a row whose e-mail or nickname belongs to a group member sets that
//! member's roster name and position, any other row adds (or updates, matched by name) a
//! roster-only person. The import is all or nothing: one bad row and nothing is stored.

use super::{NAME_MAX, Person, Setup};
use uuid::Uuid;

pub const MAX_ROWS: usize = 500;
pub const POSITION_MAX: usize = 30;

/// How the contact column identifies someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    None,
    Email(String),
    Nickname(String),
}

/// One good row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the text.
    pub line: usize,
    pub name: String,
    pub contact: Contact,
    pub position: String,
}

/// A bad row: its line, the column and a stable code (`name_required`, `invalid_email`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: &'static str,
    pub code: &'static str,
}

impl RowError {
    fn new(line: usize, column: &'static str, code: &'static str) -> Self {
        Self { line, column, code }
    }
}

/// Splits one line into fields: `,` (or tab when the line has tabs and no commas, as pasted from
/// a spreadsheet), `"..."` quoting with `""` for a quote. `None` on an unclosed quote.
fn fields(line: &str) -> Option<Vec<String>> {
    let sep = if line.contains('\t') && !line.contains(',') {
        '\t'
    } else {
        ','
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.trim().is_empty() {
            cur.clear();
            quoted = true;
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out.into_iter().map(|f| f.trim().to_owned()).collect())
}

fn is_header(cells: &[String]) -> bool {
    cells.first().is_some_and(|c| {
        matches!(
            c.to_lowercase().as_str(),
            "name" | "이름" | "성명" | "member" | "멤버"
        )
    })
}

/// Parses the text; every bad row is reported (not just the first).
pub fn parse(text: &str) -> Result<Vec<Row>, Vec<RowError>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let Some(cells) = fields(raw) else {
            errors.push(RowError::new(line, "name", "unclosed_quote"));
            first = false;
            continue;
        };
        if first {
            first = false;
            if is_header(&cells) {
                continue;
            }
        }
        if cells.iter().skip(3).any(|c| !c.is_empty()) {
            errors.push(RowError::new(line, "position", "too_many_columns"));
            continue;
        }
        let get = |k: usize| cells.get(k).cloned().unwrap_or_default();
        let (name, contact, position) = (get(0), get(1), get(2));
        let mut bad = false;
        if name.is_empty() {
            errors.push(RowError::new(line, "name", "name_required"));
            bad = true;
        } else if name.chars().count() > NAME_MAX {
            errors.push(RowError::new(line, "name", "name_too_long"));
            bad = true;
        }
        let contact = if contact.is_empty() {
            Contact::None
        } else if contact.contains('@') {
            match crate::accounts::Email::parse(&contact) {
                Ok(e) => Contact::Email(e.as_str().to_owned()),
                Err(_) => {
                    errors.push(RowError::new(line, "contact", "invalid_email"));
                    bad = true;
                    Contact::None
                }
            }
        } else {
            match crate::accounts::Nickname::parse(&contact) {
                Ok(n) => Contact::Nickname(n.as_str().to_owned()),
                Err(_) => {
                    errors.push(RowError::new(line, "contact", "invalid_nickname"));
                    bad = true;
                    Contact::None
                }
            }
        };
        if position.chars().count() > POSITION_MAX {
            errors.push(RowError::new(line, "position", "position_too_long"));
            bad = true;
        }
        if !bad
            && rows
                .iter()
                .any(|r: &Row| r.name.to_lowercase() == name.to_lowercase())
        {
            errors.push(RowError::new(line, "name", "duplicate"));
            bad = true;
        }
        if !bad {
            rows.push(Row {
                line,
                name,
                contact,
                position,
            });
        }
    }
    if rows.len() > MAX_ROWS {
        errors.push(RowError::new(0, "name", "too_many_rows"));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(0, "name", "empty"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A group member as the import matches them.
#[derive(Debug, Clone)]
pub struct MemberKey {
    pub user: Uuid,
    pub email: String,
    pub nickname: String,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub line: usize,
    pub name: String,
    /// `linked` (a group member), `added` (a new roster-only person) or `updated`.
    pub action: &'static str,
    /// The id the person is rostered under.
    pub roster_id: Uuid,
}

/// Merges parsed rows into the setup. Two rows naming the same member are an error.
pub fn apply(
    setup: &mut Setup,
    rows: &[Row],
    members: &[MemberKey],
) -> Result<Vec<Outcome>, Vec<RowError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut linked: Vec<Uuid> = Vec::new();
    for r in rows {
        let member = match &r.contact {
            Contact::Email(e) => members.iter().find(|m| m.email.eq_ignore_ascii_case(e)),
            Contact::Nickname(n) => members
                .iter()
                .find(|m| m.nickname.to_lowercase() == n.to_lowercase()),
            Contact::None => None,
        };
        let (email, nickname) = match &r.contact {
            Contact::Email(e) => (Some(e.clone()), None),
            Contact::Nickname(n) => (None, Some(n.clone())),
            Contact::None => (None, None),
        };
        if let Some(m) = member {
            if linked.contains(&m.user) {
                errors.push(RowError::new(r.line, "contact", "duplicate"));
                continue;
            }
            linked.push(m.user);
            let existing = setup.people.iter_mut().find(|p| p.user == Some(m.user));
            let action = if existing.is_some() {
                "updated"
            } else {
                "linked"
            };
            let person = Person {
                id: existing.as_ref().map_or_else(Uuid::now_v7, |p| p.id),
                name: r.name.clone(),
                email,
                nickname,
                position: r.position.clone(),
                user: Some(m.user),
            };
            match existing {
                Some(p) => *p = person,
                None => setup.people.push(person),
            }
            out.push(Outcome {
                line: r.line,
                name: r.name.clone(),
                action: if action == "updated" {
                    "updated"
                } else {
                    "linked"
                },
                roster_id: m.user,
            });
            continue;
        }
        let key = r.name.to_lowercase();
        match setup
            .people
            .iter_mut()
            .find(|p| p.user.is_none() && p.name.to_lowercase() == key)
        {
            Some(p) => {
                p.email = email;
                p.nickname = nickname;
                p.position = r.position.clone();
                out.push(Outcome {
                    line: r.line,
                    name: r.name.clone(),
                    action: "updated",
                    roster_id: p.id,
                });
            }
            None => {
                let id = Uuid::now_v7();
                setup.people.push(Person {
                    id,
                    name: r.name.clone(),
                    email,
                    nickname,
                    position: r.position.clone(),
                    user: None,
                });
                out.push(Outcome {
                    line: r.line,
                    name: r.name.clone(),
                    action: "added",
                    roster_id: id,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What a row error means, for people (Korean or English).
pub fn message(code: &str, ko: bool) -> &'static str {
    match (code, ko) {
        ("name_required", true) => "이름이 비어 있어요.",
        ("name_required", false) => "The name is missing.",
        ("name_too_long", true) => "이름은 30자까지예요.",
        ("name_too_long", false) => "Names are at most 30 characters.",
        ("invalid_email", true) => "이메일 형식이 아니에요.",
        ("invalid_email", false) => "This is not a valid e-mail address.",
        ("invalid_nickname", true) => {
            "닉네임은 2–20자의 글자·숫자·_-. 이에요 (이메일이면 @를 넣어 주세요)."
        }
        ("invalid_nickname", false) => {
            "A nickname is 2–20 letters, digits or _-. (an e-mail needs an @)."
        }
        ("position_too_long", true) => "직위는 30자까지예요.",
        ("position_too_long", false) => "Positions are at most 30 characters.",
        ("too_many_columns", true) => {
            "열이 너무 많아요: 이름, 이메일 또는 닉네임, 직위 세 열이에요."
        }
        ("too_many_columns", false) => "Too many columns: name, e-mail or nickname, position.",
        ("duplicate", true) => "같은 사람이 이미 앞 줄에 있어요.",
        ("duplicate", false) => "The same person is already on an earlier line.",
        ("unclosed_quote", true) => "따옴표(\")가 닫히지 않았어요.",
        ("unclosed_quote", false) => "A quote (\") is not closed.",
        ("too_many_rows", true) => "한 번에 500명까지 가져올 수 있어요.",
        ("too_many_rows", false) => "At most 500 people per import.",
        ("empty", true) => "가져올 줄이 없어요.",
        ("empty", false) => "There is nothing to import.",
        (_, true) => "이 줄을 읽을 수 없어요.",
        (_, false) => "This line cannot be read.",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_with_header_quotes_and_tabs_and_errors_name_their_line() {
        let rows = parse(
            "\u{feff}이름,이메일 또는 닉네임,직위\n김민지,minji@x.io,수간호사\n\n\"박, 서연\",seoyeon,간호사\n이도윤\t\t조무사\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].contact, Contact::Email("minji@x.io".into()));
        assert_eq!(rows[1].name, "박, 서연");
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].contact, Contact::Nickname("seoyeon".into()));
        assert_eq!(rows[2].position, "조무사");
        let errs = parse("a,b@,x\n,x@y.io,\nok,,\nOK,,\nq,\"open,\nz,1,2,3\n").unwrap_err();
        let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.code)).collect();
        assert_eq!(
            got,
            vec![
                (1, "invalid_email"),
                (2, "name_required"),
                (4, "duplicate"),
                (5, "unclosed_quote"),
                (6, "too_many_columns"),
            ]
        );
        assert_eq!(parse("\n \n").unwrap_err()[0].code, "empty");
    }

    #[test]
    fn members_are_linked_and_others_added_once() {
        let u = Uuid::now_v7();
        let members = vec![MemberKey {
            user: u,
            email: "minji@x.io".into(),
            nickname: "민지".into(),
        }];
        let mut setup = Setup::default();
        let rows = parse("김민지,MINJI@x.io,수간호사\n박서연,,간호사").unwrap();
        let out = apply(&mut setup, &rows, &members).unwrap();
        assert_eq!(out[0].action, "linked");
        assert_eq!(out[0].roster_id, u);
        assert_eq!(out[1].action, "added");
        assert_eq!(setup.people.len(), 2);
        // Importing again updates instead of duplicating.
        let rows = parse("김민지,민지,팀장\n박서연,,주임").unwrap();
        let out = apply(&mut setup, &rows, &members).unwrap();
        assert_eq!(
            out.iter().map(|o| o.action).collect::<Vec<_>>(),
            ["updated", "updated"]
        );
        assert_eq!(setup.people.len(), 2);
        assert_eq!(setup.people[0].position, "팀장");
        let rows = parse("a,minji@x.io,\nb,민지,").unwrap();
        let err = apply(&mut setup.clone(), &rows, &members).unwrap_err();
        assert_eq!((err[0].line, err[0].code), (2, "duplicate"));
    }
}
