//! Korean (default) and English strings. Pages get a [`Tr`] and call `t.s("key")`; a test checks
//! that every key used in a template exists in both languages.

use moim_core::accounts::Locale;
use std::collections::HashMap;
use std::sync::LazyLock;

/// (key, Korean, English)
/// One module's strings: (key, Korean, English).
pub type Strings = &'static [(&'static str, &'static str, &'static str)];

/// Every module's table. A module keeps its strings beside its pages (`pub const STRINGS: Strings`)
/// and adds one line here.
const TABLES: &[Strings] = &[
    STRINGS,
    crate::pages::notify::STRINGS,
    crate::pages::rosters::STRINGS,
    crate::pages::meetups::STRINGS,
    crate::pages::courses::STRINGS,
    crate::pages::comments::STRINGS,
];

const STRINGS: Strings = &[
    // Navigation and chrome
    (
        "app.tagline",
        "작은 모임의 모든 것을 한곳에서",
        "Everything your small group shares, in one place",
    ),
    ("nav.groups", "내 모임", "My groups"),
    ("nav.new_group", "모임 만들기", "New group"),
    ("nav.profile", "프로필", "Profile"),
    ("nav.login", "로그인", "Log in"),
    ("nav.signup", "회원가입", "Sign up"),
    ("nav.logout", "로그아웃", "Log out"),
    ("nav.menu", "메뉴", "Menu"),
    ("nav.skip", "본문으로 건너뛰기", "Skip to content"),
    ("nav.language", "English", "한국어"),
    ("nav.api", "API 문서", "API docs"),
    (
        "footer.text",
        "moim · 직접 운영하는 모임 플랫폼",
        "moim · the self-hosted home for small groups",
    ),
    // Landing
    (
        "landing.title",
        "함께하는 일상을 가볍게",
        "Run your group's shared life, lightly",
    ),
    (
        "landing.lead",
        "근무표, 모임 일정, 목표와 챌린지, 채팅, 1:1 멘토링까지. 설치 하나로 우리 모임만의 공간을 만드세요.",
        "Duty rosters, meetups, goals and challenges, chat and 1:1 mentoring. One install, a space that is yours.",
    ),
    ("landing.cta", "무료로 시작하기", "Get started free"),
    (
        "landing.have_account",
        "이미 계정이 있어요",
        "I already have an account",
    ),
    ("landing.f1.title", "모임 관리", "Groups"),
    (
        "landing.f1.body",
        "초대 링크로 모이고, 역할을 나누고, D-day를 함께 세요.",
        "Gather with an invite link, share roles and count down to D-day together.",
    ),
    ("landing.f2.title", "근무표", "Rosters"),
    (
        "landing.f2.body",
        "조건을 지키는 공정한 근무표를 몇 초 만에.",
        "Fair rosters that keep every rule, in seconds.",
    ),
    ("landing.f3.title", "모임 일정", "Meetups"),
    (
        "landing.f3.body",
        "러닝, 스터디, 보드게임까지 모집하고 출석을 확인하세요.",
        "Recruit for a run, a study session or a game night, and take attendance.",
    ),
    (
        "landing.f4.title",
        "내 서버, 내 데이터",
        "Your server, your data",
    ),
    (
        "landing.f4.body",
        "하나의 실행 파일로 어디서나 직접 운영할 수 있어요.",
        "One binary you can run anywhere yourself.",
    ),
    // Forms: common
    ("form.email", "이메일", "E-mail"),
    ("form.password", "비밀번호", "Password"),
    (
        "form.password_hint",
        "8자 이상, 흔한 비밀번호는 사용할 수 없어요.",
        "At least 8 characters; common passwords are refused.",
    ),
    ("form.nickname", "닉네임", "Nickname"),
    (
        "form.nickname_hint",
        "2~20자, 한글·영문·숫자·_-.",
        "2–20 letters, digits, _ - .",
    ),
    ("form.save", "저장", "Save"),
    ("form.cancel", "취소", "Cancel"),
    (
        "form.errors",
        "입력한 내용을 확인해 주세요.",
        "Please check the highlighted fields.",
    ),
    ("form.saved", "저장했어요.", "Saved."),
    // Sign-up and verification
    ("signup.title", "회원가입", "Create your account"),
    ("signup.submit", "인증 코드 받기", "Send me a code"),
    (
        "signup.have_account",
        "이미 계정이 있나요?",
        "Already have an account?",
    ),
    ("verify.title", "이메일 인증", "Verify your e-mail"),
    (
        "verify.lead",
        "로 보낸 6자리 코드를 입력해 주세요. 코드는 5분 동안 유효해요.",
        ": enter the 6-digit code we sent. It is valid for 5 minutes.",
    ),
    ("verify.code", "인증 코드", "Code"),
    ("verify.submit", "인증하기", "Verify"),
    ("verify.resend", "코드 다시 보내기", "Send a new code"),
    (
        "verify.resent",
        "새 코드를 보냈어요.",
        "A new code is on its way.",
    ),
    ("welcome.title", "환영해요!", "Welcome!"),
    (
        "welcome.lead",
        "가입이 완료됐어요. 첫 모임을 만들거나 초대 링크로 참여해 보세요.",
        "You are all set. Create your first group or join one with an invite link.",
    ),
    ("welcome.create", "모임 만들기", "Create a group"),
    ("welcome.join", "초대 코드로 참여", "Join with a code"),
    (
        "welcome.code_placeholder",
        "초대 코드 8자리",
        "8-character invite code",
    ),
    // Log-in, reset
    ("login.title", "로그인", "Log in"),
    ("login.submit", "로그인", "Log in"),
    (
        "login.forgot",
        "비밀번호를 잊었어요",
        "Forgot your password?",
    ),
    ("login.no_account", "아직 계정이 없나요?", "New to moim?"),
    ("forgot.title", "비밀번호 재설정", "Reset your password"),
    (
        "forgot.lead",
        "가입한 이메일로 재설정 링크를 보내 드려요.",
        "We will e-mail you a link to set a new password.",
    ),
    ("forgot.submit", "링크 보내기", "Send the link"),
    (
        "forgot.sent",
        "가입된 주소라면 재설정 링크를 보냈어요. 메일함을 확인해 주세요.",
        "If that address has an account, a reset link is on its way.",
    ),
    ("reset.title", "새 비밀번호", "Choose a new password"),
    ("reset.submit", "비밀번호 바꾸기", "Set password"),
    (
        "reset.done",
        "비밀번호를 바꿨어요. 새 비밀번호로 로그인해 주세요.",
        "Password changed. Log in with your new password.",
    ),
    (
        "reset.invalid",
        "링크가 만료되었거나 이미 사용되었어요. 다시 요청해 주세요.",
        "This link has expired or was already used. Ask for a new one.",
    ),
    // Profile
    ("profile.title", "프로필", "Profile"),
    ("profile.bio", "소개", "About me"),
    (
        "profile.avatar_url",
        "프로필 이미지 주소",
        "Avatar image URL",
    ),
    ("profile.locale", "언어", "Language"),
    ("profile.time_zone", "시간대", "Time zone"),
    ("profile.password.title", "비밀번호 변경", "Change password"),
    (
        "profile.password.current",
        "현재 비밀번호",
        "Current password",
    ),
    ("profile.password.new", "새 비밀번호", "New password"),
    (
        "profile.password.changed",
        "비밀번호를 바꿨어요. 다른 기기에서는 로그아웃됐어요.",
        "Password changed. Other devices were logged out.",
    ),
    ("profile.sessions.title", "로그인 관리", "Sessions"),
    (
        "profile.sessions.logout_all",
        "모든 기기에서 로그아웃",
        "Log out everywhere",
    ),
    ("profile.delete.title", "회원 탈퇴", "Delete account"),
    (
        "profile.delete.lead",
        "탈퇴하면 되돌릴 수 없어요. 내가 만든 모임은 먼저 넘기거나 해산해 주세요.",
        "This cannot be undone. Hand over or disband the groups you own first.",
    ),
    ("profile.delete.submit", "탈퇴하기", "Delete my account"),
    // Groups
    ("groups.title", "내 모임", "My groups"),
    (
        "groups.empty",
        "아직 참여한 모임이 없어요.",
        "You have not joined a group yet.",
    ),
    ("groups.pending", "승인 대기", "Awaiting approval"),
    ("groups.members", "명", "members"),
    ("groups.more", "더 보기", "Show more"),
    ("group.new.title", "새 모임 만들기", "Create a group"),
    ("group.edit.title", "모임 설정", "Group settings"),
    ("group.name", "모임 이름", "Name"),
    ("group.category", "카테고리", "Category"),
    ("group.description", "소개", "Description"),
    ("group.pledge", "우리의 각오", "Our pledge"),
    ("group.image_url", "대표 이미지 주소", "Image URL"),
    ("group.visibility", "공개 범위", "Visibility"),
    (
        "group.visibility.private",
        "비공개 (멤버만)",
        "Private (members only)",
    ),
    ("group.visibility.public", "공개", "Public"),
    ("group.join_policy", "가입 방식", "How people join"),
    (
        "group.join_policy.invite",
        "초대 코드/링크",
        "Invite code or link",
    ),
    (
        "group.join_policy.open",
        "누구나 바로 참여",
        "Anyone can join",
    ),
    (
        "group.join_policy.approval",
        "승인 후 참여",
        "After approval",
    ),
    (
        "group.capacity",
        "정원 (모임장 포함)",
        "Capacity (owner included)",
    ),
    (
        "group.rejoin_allowed",
        "나간 멤버의 재가입 허용",
        "Let members who left rejoin",
    ),
    ("group.starts_on", "시작일", "Starts on"),
    ("group.ends_on", "종료일", "Ends on"),
    ("group.time_zone", "시간대", "Time zone"),
    ("group.create", "모임 만들기", "Create group"),
    ("group.category.study", "스터디", "Study"),
    ("group.category.exercise", "운동", "Exercise"),
    ("group.category.running", "러닝", "Running"),
    ("group.category.reading", "독서", "Reading"),
    ("group.category.hobby", "취미", "Hobby"),
    ("group.category.work", "업무", "Work"),
    ("group.category.volunteer", "봉사", "Volunteering"),
    ("group.category.other", "기타", "Other"),
    ("group.role.owner", "모임장", "Owner"),
    ("group.role.manager", "매니저", "Manager"),
    ("group.role.member", "멤버", "Member"),
    ("group.home.overview", "홈", "Overview"),
    ("group.home.members", "멤버", "Members"),
    ("group.home.invite", "초대하기", "Invite"),
    ("group.home.settings", "설정", "Settings"),
    ("group.home.leave", "모임 나가기", "Leave group"),
    (
        "group.home.leave_confirm",
        "정말 이 모임을 나갈까요?",
        "Leave this group?",
    ),
    ("group.home.period", "기간", "Period"),
    (
        "group.home.no_description",
        "아직 소개가 없어요.",
        "No description yet.",
    ),
    ("group.home.ended", "종료", "Ended"),
    (
        "group.home.disbanding",
        "이 모임은 해산 예정이에요:",
        "This group will be deleted on",
    ),
    (
        "group.home.cancel_disband",
        "해산 취소",
        "Cancel disbanding",
    ),
    ("group.home.danger", "위험 구역", "Danger zone"),
    (
        "group.home.disband",
        "모임 해산 (3일 유예)",
        "Disband (3-day grace period)",
    ),
    (
        "group.home.disband_confirm",
        "3일 뒤 모임과 모든 기록이 삭제돼요. 해산할까요?",
        "The group and everything in it will be deleted in 3 days. Disband?",
    ),
    (
        "group.home.pending_notice",
        "가입 신청을 보냈어요. 매니저가 승인하면 참여돼요.",
        "Your request was sent. You will be in once a manager approves it.",
    ),
    ("group.home.withdraw", "신청 취소", "Withdraw request"),
    ("group.home.join", "참여하기", "Join"),
    ("group.home.request", "가입 신청", "Ask to join"),
    ("members.title", "멤버", "Members"),
    ("members.pending", "가입 신청", "Join requests"),
    ("members.approve", "승인", "Approve"),
    ("members.decline", "거절", "Decline"),
    ("members.remove", "내보내기", "Remove"),
    (
        "members.remove_confirm",
        "이 멤버를 내보낼까요? 다시 가입할 수 없어요.",
        "Remove this member? They will not be able to rejoin.",
    ),
    ("members.make_manager", "매니저 지정", "Make manager"),
    ("members.make_member", "매니저 해제", "Make member"),
    ("members.transfer", "모임장 넘기기", "Make owner"),
    (
        "members.transfer_confirm",
        "모임장을 넘길까요? 나는 매니저가 돼요.",
        "Hand the group over? You will become a manager.",
    ),
    ("members.you", "나", "you"),
    ("invite.title", "초대하기", "Invite people"),
    (
        "invite.lead",
        "링크나 코드를 카카오톡으로 보내 주세요.",
        "Send the link or the code to the people you want in.",
    ),
    ("invite.code", "초대 코드", "Invite code"),
    ("invite.link", "초대 링크", "Invite link"),
    ("invite.rotate", "새 코드 발급", "Issue a new code"),
    (
        "invite.rotate_hint",
        "새 코드를 만들면 이전 코드와 링크는 더 이상 쓸 수 없어요.",
        "A new code makes the old code and link stop working.",
    ),
    ("invite.copy", "복사", "Copy"),
    ("join.title", "모임 초대", "You are invited"),
    ("join.members", "멤버", "Members"),
    ("join.submit", "참여하기", "Join this group"),
    ("join.request", "가입 신청하기", "Ask to join"),
    (
        "join.message",
        "남길 말 (선택)",
        "A note for the managers (optional)",
    ),
    (
        "join.login_first",
        "참여하려면 먼저 로그인하거나 가입해 주세요.",
        "Log in or sign up to join.",
    ),
    (
        "join.already",
        "이미 참여 중인 모임이에요.",
        "You are already a member.",
    ),
    ("join.joined", "모임에 참여했어요!", "You joined the group!"),
    (
        "join.requested",
        "가입 신청을 보냈어요.",
        "Your request was sent.",
    ),
    (
        "join.invalid",
        "초대 코드가 올바르지 않거나 만료되었어요.",
        "This invite code is not valid anymore.",
    ),
    ("join.full", "정원이 가득 찼어요.", "The group is full."),
    // Errors
    ("error.title", "문제가 생겼어요", "Something went wrong"),
    (
        "error.404",
        "페이지를 찾을 수 없어요.",
        "We could not find that page.",
    ),
    (
        "error.403",
        "이 페이지를 볼 권한이 없어요.",
        "You do not have access to this page.",
    ),
    (
        "error.500",
        "잠시 후 다시 시도해 주세요.",
        "Please try again in a moment.",
    ),
    (
        "error.429",
        "요청이 너무 많아요. 잠시 후 다시 시도해 주세요.",
        "Too many attempts. Please wait a little and try again.",
    ),
    ("error.home", "홈으로", "Go home"),
    // E-mail
    (
        "mail.verify.subject",
        "moim 인증 코드",
        "Your moim verification code",
    ),
    (
        "mail.verify.body",
        "아래 6자리 코드를 입력해 가입을 완료하세요.",
        "Enter this 6-digit code to finish signing up.",
    ),
    (
        "mail.verify.expiry",
        "코드는 5분 동안 유효해요. 요청하지 않았다면 이 메일을 무시하세요.",
        "The code is valid for 5 minutes. If you did not ask for it, ignore this e-mail.",
    ),
    (
        "mail.reset.subject",
        "moim 비밀번호 재설정",
        "Reset your moim password",
    ),
    (
        "mail.reset.body",
        "아래 버튼을 눌러 새 비밀번호를 정하세요.",
        "Use the button below to choose a new password.",
    ),
    ("mail.reset.button", "비밀번호 재설정", "Reset password"),
    (
        "mail.reset.expiry",
        "링크는 30분 동안 한 번만 쓸 수 있어요. 요청하지 않았다면 이 메일을 무시하세요.",
        "The link works once within 30 minutes. If you did not ask for it, ignore this e-mail.",
    ),
];

/// FNV-1a: a page looks up some 30 keys, and SipHash (the std default, built to resist
/// flooding) cost more than the rest of the lookup. Flooding needs inserts, and this table is
/// fixed at start-up from our own strings; lookups of any key cost at most its longest chain.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FixedTable =
    HashMap<&'static str, (&'static str, &'static str), std::hash::BuildHasherDefault<Fnv>>;

static TABLE: LazyLock<FixedTable> = LazyLock::new(|| {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .map(|(k, ko, en)| (*k, (*ko, *en)))
        .collect()
});

/// A translator for one language.
#[derive(Clone, Copy, Debug)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn new(l: Locale) -> Self {
        Self(l)
    }
    /// The string for `key`; the key itself when missing (a test keeps that from shipping).
    pub fn s<'a>(&self, key: &'a str) -> &'a str {
        match TABLE.get(key) {
            Some((ko, en)) => match self.0 {
                Locale::Ko => ko,
                Locale::En => en,
            },
            None => key,
        }
    }
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }
    /// Category, role and policy labels: `t.label("group.category", "study")`.
    /// The key is put together on the stack (no allocation for the usual short keys).
    pub fn label<'a>(&self, prefix: &str, value: &'a str) -> &'a str {
        let mut buf = [0u8; 128];
        let n = prefix.len() + 1 + value.len();
        let found = if n <= buf.len() {
            buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
            buf[prefix.len()] = b'.';
            buf[prefix.len() + 1..n].copy_from_slice(value.as_bytes());
            std::str::from_utf8(&buf[..n])
                .ok()
                .and_then(|k| TABLE.get(k))
        } else {
            TABLE.get(format!("{prefix}.{value}").as_str())
        };
        match found {
            Some((ko, en)) => match self.0 {
                Locale::Ko => ko,
                Locale::En => en,
            },
            None => value,
        }
    }
}

pub fn has_key(key: &str) -> bool {
    TABLE.contains_key(key)
}

/// A sentence for a field error code, in the user's language.
pub fn field_message(l: Locale, field: &str, code: &str) -> String {
    let ko = l == Locale::Ko;
    let s = match code {
        "required" => {
            if ko {
                "꼭 입력해 주세요."
            } else {
                "This field is required."
            }
        }
        "too_short" if field == "password" => {
            if ko {
                "8자 이상이어야 해요."
            } else {
                "Use at least 8 characters."
            }
        }
        "too_short" if field == "nickname" => {
            if ko {
                "2자 이상이어야 해요."
            } else {
                "Use at least 2 characters."
            }
        }
        "too_short" => {
            if ko {
                "너무 짧아요."
            } else {
                "Too short."
            }
        }
        "too_long" => {
            if ko {
                "너무 길어요."
            } else {
                "Too long."
            }
        }
        "too_common" => {
            if ko {
                "너무 흔한 비밀번호예요. 다른 비밀번호를 써 주세요."
            } else {
                "This password is too common; choose another."
            }
        }
        "invalid_email" => {
            if ko {
                "이메일 주소 형식이 아니에요."
            } else {
                "This is not an e-mail address."
            }
        }
        "invalid_characters" => {
            if ko {
                "사용할 수 없는 문자가 있어요."
            } else {
                "Contains characters that are not allowed."
            }
        }
        "taken" if field == "email" => {
            if ko {
                "이미 가입된 이메일이에요."
            } else {
                "This e-mail already has an account."
            }
        }
        "taken" if field == "nickname" => {
            if ko {
                "이미 사용 중인 닉네임이에요."
            } else {
                "This nickname is taken."
            }
        }
        "taken" => {
            if ko {
                "이미 사용 중이에요."
            } else {
                "Already taken."
            }
        }
        "wrong_code" => {
            if ko {
                "코드가 맞지 않아요."
            } else {
                "That code is not right."
            }
        }
        "invalid_code" => {
            if ko {
                "6자리 숫자를 입력해 주세요."
            } else {
                "Enter the 6 digits."
            }
        }
        "code_expired" => {
            if ko {
                "코드가 만료되었어요. 새 코드를 받아 주세요."
            } else {
                "The code has expired; ask for a new one."
            }
        }
        "too_many_attempts" => {
            if ko {
                "여러 번 틀렸어요. 새 코드를 받아 주세요."
            } else {
                "Too many wrong tries; ask for a new code."
            }
        }
        "wrong_password" => {
            if ko {
                "비밀번호가 맞지 않아요."
            } else {
                "Wrong password."
            }
        }
        "unknown_time_zone" => {
            if ko {
                "알 수 없는 시간대예요."
            } else {
                "Unknown time zone."
            }
        }
        "unsupported_locale" => {
            if ko {
                "지원하지 않는 언어예요."
            } else {
                "Unsupported language."
            }
        }
        "invalid_url" => {
            if ko {
                "http(s)://로 시작하는 주소를 입력해 주세요."
            } else {
                "Enter an http(s):// address."
            }
        }
        "invalid_date" => {
            if ko {
                "날짜 형식(YYYY-MM-DD)이 아니에요."
            } else {
                "Use the YYYY-MM-DD format."
            }
        }
        "before_start" => {
            if ko {
                "종료일은 시작일보다 빠를 수 없어요."
            } else {
                "The end cannot be before the start."
            }
        }
        "too_small" => {
            if ko {
                "2명 이상이어야 해요."
            } else {
                "At least 2."
            }
        }
        "too_large" => {
            if ko {
                "1000명 이하여야 해요."
            } else {
                "At most 1000."
            }
        }
        "below_member_count" => {
            if ko {
                "현재 멤버 수보다 작게 정할 수 없어요."
            } else {
                "Cannot be below the current member count."
            }
        }
        "unknown_category"
        | "unknown_visibility"
        | "unknown_join_policy"
        | "unknown_role"
        | "invalid_value" => {
            if ko {
                "목록에서 골라 주세요."
            } else {
                "Pick one of the listed values."
            }
        }
        "invalid_type" => {
            if ko {
                "형식이 맞지 않아요."
            } else {
                "Wrong type of value."
            }
        }
        "unknown_field" => {
            if ko {
                "알 수 없는 항목이에요."
            } else {
                "Unknown field."
            }
        }
        "out_of_range" => {
            if ko {
                "허용 범위를 벗어났어요."
            } else {
                "Out of the allowed range."
            }
        }
        "use_transfer" => {
            if ko {
                "모임장은 넘기기로만 바꿀 수 있어요."
            } else {
                "Use a transfer to change the owner."
            }
        }
        _ => {
            // A module may name its own field codes as `field.<code>` in its STRINGS.
            if let Some((k, e)) = TABLE.get(format!("field.{code}").as_str()) {
                return (if ko { *k } else { *e }).to_owned();
            }
            if ko {
                "입력값을 확인해 주세요."
            } else {
                "Check this value."
            }
        }
    };
    s.to_owned()
}

/// A sentence for a non-field error code.
pub fn error_message(l: Locale, code: &str) -> String {
    let ko = l == Locale::Ko;
    let s = match code {
        "invalid_credentials" => {
            if ko {
                "이메일 또는 비밀번호가 맞지 않아요."
            } else {
                "Wrong e-mail or password."
            }
        }
        "rate_limited" => {
            if ko {
                "시도가 너무 많아요. 잠시 후 다시 시도해 주세요."
            } else {
                "Too many attempts. Please wait and try again."
            }
        }
        "email_not_verified" => {
            if ko {
                "이메일 인증을 먼저 완료해 주세요."
            } else {
                "Verify your e-mail first."
            }
        }
        "group_full" => {
            if ko {
                "정원이 가득 찼어요."
            } else {
                "The group is full."
            }
        }
        "rejoin_not_allowed" => {
            if ko {
                "이 모임에는 다시 가입할 수 없어요."
            } else {
                "You cannot join this group again."
            }
        }
        "group_disbanding" => {
            if ko {
                "해산 예정인 모임이에요."
            } else {
                "This group is being disbanded."
            }
        }
        "owner_cannot_leave" => {
            if ko {
                "모임장은 모임장을 넘기거나 해산한 뒤에 나갈 수 있어요."
            } else {
                "Hand the group over or disband it before leaving."
            }
        }
        "owns_groups" => {
            if ko {
                "내가 모임장인 모임이 있어요. 먼저 넘기거나 해산해 주세요."
            } else {
                "You own groups: hand them over or disband them first."
            }
        }
        "invite_not_found" => {
            if ko {
                "초대 코드가 올바르지 않거나 만료되었어요."
            } else {
                "This invite code is not valid anymore."
            }
        }
        "invalid_reset_token" => {
            if ko {
                "링크가 만료되었거나 이미 사용되었어요."
            } else {
                "This link has expired or was already used."
            }
        }
        "manager_only" | "owner_only" | "forbidden" | "cannot_remove_role" | "author_only" => {
            if ko {
                "권한이 없어요."
            } else {
                "You are not allowed to do that."
            }
        }
        "mail_unavailable" => {
            if ko {
                "메일을 보내지 못했어요. 잠시 후 다시 시도해 주세요."
            } else {
                "The e-mail could not be sent. Try again shortly."
            }
        }
        "invite_required" => {
            if ko {
                "초대 코드로만 참여할 수 있어요."
            } else {
                "This group is joined with an invite code."
            }
        }
        _ => {
            // A module may name its own error codes as `error.<code>` in its STRINGS.
            if let Some((k, e)) = TABLE.get(format!("error.{code}").as_str()) {
                return (if ko { *k } else { *e }).to_owned();
            }
            if ko {
                "요청을 처리하지 못했어요."
            } else {
                "We could not do that."
            }
        }
    };
    s.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (k, ko, en) in TABLES.iter().flat_map(|t| t.iter()) {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!ko.is_empty() && !en.is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn every_key_is_found_in_both_languages_and_labels_fall_back_to_the_value() {
        for (k, ko, en) in TABLES.iter().flat_map(|t| t.iter()) {
            assert_eq!(Tr::new(Locale::Ko).s(k), *ko);
            assert_eq!(Tr::new(Locale::En).s(k), *en);
        }
        assert_eq!(Tr::new(Locale::Ko).s("no.such.key"), "no.such.key");
        let en = Tr::new(Locale::En);
        assert_eq!(en.label("nav", "groups"), "My groups");
        assert_eq!(Tr::new(Locale::Ko).label("nav", "groups"), "내 모임");
        assert_eq!(en.label("group.category", "no-such"), "no-such");
        let long = "x".repeat(200);
        assert_eq!(en.label("group.category", &long), long.as_str());
    }

    /// Every `t.s("...")` in a template names a string that exists.
    #[test]
    fn templates_use_known_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        let mut checked = 0;
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).expect("templates dir") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("template");
                for part in text.split("t.s(\"").skip(1) {
                    let key = part.split('"').next().unwrap_or("");
                    assert!(has_key(key), "{}: unknown key {key}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 50,
            "expected the templates to use many strings, saw {checked}"
        );
    }
}
