// Everything that can happen to the kiosk: a person's action, a card, the network, a timer. Small
// values.
#pragma once

#include "kiosk/core/catalogue.hpp"

#include <cardio/atr.hpp>
#include <cardio/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace shensu::kiosk
{

enum class TimerId {
    SUBMIT_WAIT, // how long "submitting…" waits for central before showing "queued"
    SESSION_IDLE, // nobody touched the kiosk for a while: show the countdown ("還有 n 秒…")
    SESSION_TICK, // one second of the countdown; at zero the session ends and is wiped
    NOTICE, // the home screen's one-line notice has been read: clear it
    CHALLENGE_WAIT, // a confirmed PIN waited this long for central's challenge: forget it
};

// --- a person's actions (from the UI); they come first in Event, up to SetDisplay (isPersonAction
// relies on it)
struct ChooseCitizenCertificate {
};
struct ChooseHealthCard {
};
struct ChooseAnonymous {
};
struct ChooseCaseQuery {
}; // home -> case_query (案件進度查詢): a session like a filing
// The case-query keypads (digits only): which field the keys go to, and one key.
enum class QueryField { CASE_NUMBER, CODE };
struct SelectQueryField {
    QueryField field = QueryField::CASE_NUMBER;
};
struct QueryKey {
    QueryField field = QueryField::CASE_NUMBER;
    char key = '0'; // '0'..'9'; '<' deletes the last digit, 'C' clears the field
};
struct SubmitQuery {
}; // 查詢: checked on the kiosk (lengths, the code's Luhn digit), then asked of central
struct SetLanguage {
    Language language;
};
struct GoHome {
}; // cancel or done: ends and wipes the session
struct RetryCard {
}; // card_error -> insert_card
struct ContinueWithCard {
}; // card_read -> form
struct EditField {
    std::string field; // answer id
    std::string value;
};
struct ReviewForm {
}; // form -> review, after validation
struct EditAgain {
    std::string
        field; // the answer tapped on the review screen (the form scrolls to it); may be empty
}; // review -> form
struct ConfirmFiling {
    std::string createdAt; // ISO 8601 UTC; stamped by the app's clock, not by the UI
};
// PIN pad (citizen certificate). The digits never travel in an event: the pad keeps them in a
// locked cardio::Pin that the app hands straight to the card worker; the core learns only counts.
struct PinPadTouched {
}; // a key of the PIN pad was pressed (keeps the session alive)
struct ConfirmPin {
    std::size_t digits = 0; // how many digits were entered, never which
};
struct AcknowledgeLastAttempt {
}; // pin_last_attempt -> pin_entry (nhi_last_attempt -> nhi_password): the person read that this
   // try can block the card (lock its registration password at central)
// Health-card registration password. Like the PIN, the characters never travel in an event: the
// screen keeps them in the app's locked buffer (cardio::NhiPassword); the core learns the count.
struct ConfirmNhiPassword {
    std::size_t characters = 0; // how many were typed, never which
};
struct RetrySubmit {
}; // submit_error -> review
// Session safety and display (issue 4).
struct ConfirmAnonymous {
}; // anonymous_info -> form: the person read that an anonymous filing is a tip
struct AskEndSession {
}; // 結束: ends at once, or asks first when answers would be lost
struct ContinueSession {
}; // 繼續作業: closes the countdown or the "end?" question; the session goes on
struct Touched {
}; // a finger (or mouse) pressed anywhere: someone is there; restarts the idle clock
struct SetDisplay {
    bool largeText = false;
    bool highContrast = false;
}; // reset to normal when a session ends

// --- from the card worker
struct CardInserted {
    std::string reader;
    cardio::CardKind kind = cardio::CardKind::UNKNOWN;
};
struct CardRemoved {
    std::string reader;
};
// Only what the kiosk keeps: the worker drops the ID number, birth date and the rest at once.
struct HealthCardRead {
    std::string reader;
    std::string name;
    std::string cardNumber {}; // for central's registration-password check; never shown or logged
};
struct CardReadFailed {
    cardio::CardErrorCode code = cardio::CardErrorCode::INTERNAL;
};
// The citizen card's token was found and its PIN tries read (no try spent).
struct CitizenCardReady {
    std::string reader;
    int triesLeft = 3;
    bool blocked = false;
    // The token has a protected authentication path: the PIN is typed on the reader's own keypad
    // (the module drives it), never on the kiosk's screen.
    bool readerPinPad = false;
    // Which card this was: the token's serial and the reader monitor's insert count for the reader
    // when the read began. The login compares both before any PIN leaves the kiosk.
    std::string tokenSerial {};
    std::uint64_t insertion = 0;
};
// The card refused the PIN: one try spent (blocked = that was the last one, or it already was).
struct PinRejected {
    std::string reader;
    int triesLeft = 0;
    bool blocked = false;
};
// C_Login and C_Sign succeeded over cardLoginMessage(challenge): the proof for central.
struct CitizenCardSigned {
    std::string reader;
    std::string certificateDer; // binary
    std::string signature; // binary
};
// The reader service came or went (pcscd down, no reader attached, reader back).
struct CardService {
    bool available = true;
    cardio::CardErrorCode code = cardio::CardErrorCode::SERVICE_UNAVAILABLE;
};

// --- from the network worker
struct FilingStored {
    std::string filingId;
    // Set when the filing was sealed with a case number leased from central (network/
    // case_lease.hpp): final, shown on the queued screen with its code. Empty otherwise.
    std::string caseNumber {};
    std::string verificationCode {};
};
struct FilingStoreFailed {
    std::string reason; // for the technician's log; never shown, never personal data
};
struct FilingAccepted {
    std::string filingId;
    std::string caseNumber;
    std::string verificationCode;
};
struct FilingDeferred {
    std::string filingId;
    std::string reason;
};

// Login with central (contract s7-auth): a challenge, then the card's proof checked.
struct LoginChallengeReady {
    std::string challengeId;
    std::string nonce; // base64 text as central sent it
};
struct LoginChallengeFailed {
    std::string reason; // for the technician's log; never shown
    bool notConfigured = false; // this kiosk has no central to ask (vs. central unreachable)
};
struct CardLoginAccepted {
    std::string name;
    std::string agency;
};
struct CardLoginRefused {
    // central's result ("certificate_expired", "not_in_personnel", ...), or "unreachable" /
    // "unavailable" (no login service configured) from the kiosk itself
    std::string result;
};

// Central's answer to POST /v1/cases/status, or why there is none.
enum class CaseQueryResult {
    FOUND,
    NOT_FOUND, // 404: unknown case or wrong code (one answer for both)
    RATE_LIMITED, // 429, retryAfterSeconds from Retry-After
    MALFORMED, // 400
    UNREACHABLE, // no connection, TLS failure, 5xx, an answer that is not the protocol
    UNAVAILABLE, // this kiosk has no central configured
};
struct CaseStatusView {
    std::string caseNumber;
    std::string status; // code: received, forwarded, ...
    std::string statusText; // central's wording (seed 000 3.2), e.g. 已轉交權責機關
    std::string statusAt; // ISO 8601 UTC
    std::string receivedAt; // ISO 8601 UTC
    std::string initialReportDue; // Taipei date YYYY-MM-DD
    std::string resultReportDue;
    int resultExtensions = 0;
};
struct CaseQueryAnswered {
    std::uint64_t queryId = 0; // QueryCaseStatus::queryId it answers
    CaseQueryResult result = CaseQueryResult::UNREACHABLE;
    CaseStatusView status; // FOUND
    int retryAfterSeconds = 0; // RATE_LIMITED
};

// Central's word on the health card before any password is asked for (network::NhiStatusAnswer).
struct NhiStatusAnswered {
    std::string result; // "ok", "locked", "not_registered", "unavailable"
    int triesLeft = 0; // ok (≥ 1)
    std::uint64_t generation = 0; // AskNhiStatus::generation of the question
};
// Central's answer to the registration password (network::NhiLoginAnswer).
struct NhiLoginAnswered {
    // "ok", "wrong_password", "locked", "not_registered", "malformed_password", "unavailable"
    std::string result;
    int triesLeft = 0; // wrong_password
    std::string name {}; // ok
    std::string agency {}; // ok
    nlohmann::json assertion {}; // ok: central's signed identity assertion, as received
    std::uint64_t generation = 0; // LoginWithNhiPassword::generation it answers
};

// --- from the app's timers
struct TimerExpired {
    TimerId timer = TimerId::SUBMIT_WAIT;
    std::uint64_t generation = 0;
};

using Event = std::variant<ChooseCitizenCertificate, ChooseHealthCard, ChooseAnonymous,
    ChooseCaseQuery, SelectQueryField, QueryKey, SubmitQuery, SetLanguage, GoHome, RetryCard,
    ContinueWithCard, EditField, ReviewForm, EditAgain, ConfirmFiling, PinPadTouched, ConfirmPin,
    AcknowledgeLastAttempt, RetrySubmit, ConfirmAnonymous, AskEndSession, ContinueSession, Touched,
    ConfirmNhiPassword, SetDisplay, CardInserted, CardRemoved, HealthCardRead, CardReadFailed,
    CitizenCardReady, PinRejected, CitizenCardSigned, CardService, FilingStored, FilingStoreFailed,
    FilingAccepted, FilingDeferred, LoginChallengeReady, LoginChallengeFailed, CardLoginAccepted,
    CardLoginRefused, NhiStatusAnswered, NhiLoginAnswered, CaseQueryAnswered, TimerExpired>;

// A person touched the kiosk (as opposed to a worker or a timer).
bool isPersonAction(const Event& event) noexcept;

// Short name for logs ("CardInserted"); never includes the event's data.
const char* eventName(const Event& event) noexcept;

} // namespace shensu::kiosk
