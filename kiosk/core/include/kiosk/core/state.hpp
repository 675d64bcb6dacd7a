// The kiosk's whole state: which screen, who is filing, the answers so far. Owned by the UI thread.
#pragma once

#include "kiosk/core/catalogue.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/form.hpp"
#include "kiosk/core/validation.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shensu::kiosk
{

enum class Screen {
    HOME,
    INSERT_CARD,
    READING_CARD,
    CARD_READ,
    CARD_ERROR,
    FORM,
    REVIEW,
    SUBMITTING,
    SUBMITTED,
    QUEUED,
    SUBMIT_ERROR,
    ANONYMOUS_INFO, // what an anonymous filing is (a tip, 檢舉), before the form
    PIN_ENTRY,
    PIN_LAST_ATTEMPT,
    CARD_LOGIN,
    CARD_BLOCKED,
    LOGIN_REFUSED,
    CASE_QUERY, // 案件進度查詢: case number and verification code on keypads
    CASE_QUERYING, // asking central
    CASE_STATUS, // the case's status and dates
    NHI_PASSWORD, // the health card's registration password (健保卡註冊密碼), checked by central
    NHI_LAST_ATTEMPT, // one more wrong password locks the card's registration at central
    NHI_LOCKED, // locked at central: how to reset the registration password (not on the kiosk)
};
inline constexpr Screen ALL_SCREENS[] = { Screen::HOME, Screen::INSERT_CARD, Screen::READING_CARD,
    Screen::CARD_READ, Screen::CARD_ERROR, Screen::FORM, Screen::REVIEW, Screen::SUBMITTING,
    Screen::SUBMITTED, Screen::QUEUED, Screen::SUBMIT_ERROR, Screen::ANONYMOUS_INFO,
    Screen::PIN_ENTRY, Screen::PIN_LAST_ATTEMPT, Screen::CARD_LOGIN, Screen::CARD_BLOCKED,
    Screen::LOGIN_REFUSED, Screen::CASE_QUERY, Screen::CASE_QUERYING, Screen::CASE_STATUS,
    Screen::NHI_PASSWORD, Screen::NHI_LAST_ATTEMPT, Screen::NHI_LOCKED };

const char* screenId(Screen screen) noexcept; // "home", "insert_card", ... (automation ids)
bool parseScreenId(const std::string& id, Screen& out) noexcept;

enum class Filer { NONE, ANONYMOUS, HEALTH_CARD, CITIZEN_CERT };

// Where a citizen-certificate login stands while the card_login screen shows.
// NHI_STATUS: a health card's tries are being asked of central, before the password screen.
enum class LoginStep { NONE, CHALLENGE, CARD, CENTRAL, NHI_STATUS };

// MOICA PINs are 6-8 digits (seed 004).
inline constexpr std::size_t PIN_MIN_DIGITS = 6;
inline constexpr std::size_t PIN_MAX_DIGITS = 8;
// How long a PIN-pad reader waits for the keys (cardio::PinPadVerify's default; shown on screen).
inline constexpr int READER_PIN_TIMEOUT_SECONDS = 30;
// Case numbers are "1151123-0001": the ROC date of receipt (7 digits), '-', a daily sequence of 4
// to 8 digits (central's wellFormedCaseNumber). Typed as digits only; the '-' is the kiosk's.
inline constexpr std::size_t CASE_NUMBER_MIN_DIGITS = 11;
inline constexpr std::size_t CASE_NUMBER_MAX_DIGITS = 15;
inline constexpr std::size_t CASE_NUMBER_DATE_DIGITS = 7;
// A health card's registration password: 6-12 printable ASCII characters, no space (central's
// rule, network::validNhiPassword).
inline constexpr std::size_t NHI_PASSWORD_MIN = 6;
inline constexpr std::size_t NHI_PASSWORD_MAX = 12;

struct State {
    std::shared_ptr<const Form> form;
    std::string kioskId;
    std::chrono::milliseconds submitWait {
        4000
    }; // how long "submitting…" waits for central before "queued"
    // How long a confirmed PIN may wait for central's challenge (behind filings on the network
    // worker, or a slow central) before it is forgotten and the person told: the PIN is held no
    // longer than this, never until a curl timeout.
    std::chrono::milliseconds challengeWait { 15000 };
    // Untouched for sessionIdle, a session ends and is wiped; for its last sessionWarning a
    // countdown ("還有 n 秒…") offers to continue. Config: sessionIdleSeconds,
    // sessionWarningSeconds.
    std::chrono::milliseconds sessionIdle { 120000 };
    std::chrono::milliseconds sessionWarning { 20000 };
    std::chrono::milliseconds noticeShown { 10000 }; // how long a notice stays on the home screen
    Language defaultLanguage = Language::ZH_TW; // a session's language choice ends with it
    bool pinPadShuffle
        = false; // config pinPadShuffle: the PIN pad's digits in a new order each time
    // config readerPinTimeoutSeconds: how long a PIN-pad reader waits for the keys (on screen).
    int readerPinTimeoutSeconds = READER_PIN_TIMEOUT_SECONDS;

    Language language = Language::ZH_TW;
    Screen screen = Screen::HOME;
    std::string noticeKey; // one-line message on the home screen ("card removed: session ended",
                           // "coming soon")

    std::map<std::string, cardio::CardKind> cards; // readers that hold a card now
    bool cardServiceAvailable = true;
    cardio::CardErrorCode cardServiceError = cardio::CardErrorCode::SERVICE_UNAVAILABLE;

    // The session: who is filing and what they wrote. Wiped when it ends.
    Filer filer = Filer::NONE;
    std::string sessionReader;
    std::string cardHolderName;
    Answers answers;
    std::vector<ValidationIssue> issues;
    std::string cardErrorKey;
    int idleCountdown = 0; // seconds left, shown in the countdown panel; 0 = no countdown
    bool confirmingEnd = false; // 結束 was tapped with answers on screen: "end and wipe?" shows

    // Display, chosen on the home screen; back to normal when a session ends.
    bool largeText = false;
    bool highContrast = false;

    std::string agency; // from central after a citizen-certificate login

    // Citizen-certificate login. Never the PIN: only how many tries the card has left.
    int pinTriesLeft = 0;
    bool lastAttemptAcknowledged = false; // the warning was read for this (final) try
    std::string pinMessageKey; // "pin.wrong", "pin.length" under the pad
    bool readerPinPad = false; // the PIN is typed on the reader's keypad, not the screen
    std::uint64_t pinEntryGeneration = 0; // a new PIN screen: the UI reshuffles and clears its pad
    LoginStep loginStep = LoginStep::NONE;
    std::string challengeId;
    std::string challengeNonce;
    // The citizen card whose tries were read (token serial, insert count): the PIN goes to no
    // other.
    std::string citizenTokenSerial;
    std::uint64_t citizenInsertion = 0;
    std::string loginRefusalKey; // login_refused.<result>
    // 確認送出 of a citizen-certificate filing: the PIN is asked again (pin_entry /
    // pin_last_attempt, "sign" wording), then submitting shows while the card signs and the filing
    // is sealed. loginStep is CARD until the card's outcome (FilingStored, PinRejected,
    // CardReadFailed) is known.
    bool signingFiling = false;
    std::string signCreatedAt; // the ConfirmFiling's time, for the filing built after the PIN

    // The case query (案件進度查詢): typed digits, central's answer. Wiped with the session.
    std::string queryCaseNumber; // digits only
    std::string queryCode; // digits only
    QueryField queryField = QueryField::CASE_NUMBER;
    std::string queryMessageKey; // case_query.<why> under the keypads
    int queryRetryMinutes = 0; // case_query.rate_limited's {minutes}
    CaseStatusView queryStatus;
    std::uint64_t queryGeneration = 0; // the QueryCaseStatus whose answer is awaited
    // Health-card login. Never the password: only what central said about the tries.
    std::string healthCardNumber; // to ask central with; wiped once the login is done
    int nhiTriesLeft = 0; // from central's status answer, then after each wrong password
    bool nhiLastAttemptAcknowledged = false;
    std::string nhiMessageKey; // "nhi_password.wrong", "nhi_password.length" under the field
    std::uint64_t nhiPasswordGeneration = 0; // a new password screen: the UI clears its buffer
    std::uint64_t nhiStatusGeneration = 0; // the status question the kiosk waits for (never reset)
    // The LoginWithNhiPassword whose answer is awaited: bumped on each confirm and when a session
    // is wiped, so a late answer (or a queued job) of the person before finds nothing to land on.
    std::uint64_t nhiLoginGeneration = 0;
    // Central's signed identity assertion from the login, as received: the filing's
    // filer.assertion.
    nlohmann::json nhiAssertion;

    // The filing in flight.
    std::string filingId;
    std::string caseNumber;
    std::string verificationCode;
    std::vector<FilingAccepted>
        earlyAnswers; // answers that beat FilingStored (they come from another thread)
    std::vector<std::string> earlyDeferrals;
    std::uint64_t timerGeneration = 0;
    std::uint64_t idleGeneration = 0;
    std::uint64_t noticeGeneration = 0;
    std::uint64_t challengeGeneration = 0;
};

// A session is under way (someone chose a way in and has not finished).
bool inSession(const State& state) noexcept;

// A new kiosk on the home screen.
State initialState(std::shared_ptr<const Form> form, std::string kioskId, Language language);

// Remaining characters of a field with a limit (negative when over).
long remainingCharacters(const State& state, const std::string& fieldId);

// "11511230001" -> "1151123-0001" (the '-' after the ROC date; shorter input left as typed).
std::string formatCaseNumber(const std::string& digits);
// "1234567890123456" -> "1234 5678 9012 3456".
std::string groupDigits(const std::string& digits, std::size_t group = 4);
// The date of a central timestamp ("2026-11-23T10:51:00Z", shown as its Taipei date) or Taipei
// date ("2026-11-23") as the params of the i18n key "case_status.date": {roc} (民國 year), {y},
// {m}, {d}, {mm}, {dd}. Empty when the text is neither.
Params caseDateParams(const std::string& text);

// First 8 characters of a filing id, as shown on the queued screen.
std::string shortFilingId(const std::string& filingId);

} // namespace shensu::kiosk
