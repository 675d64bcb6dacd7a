// The citizen-certificate login as sentences: card, tries, PIN pad, last-attempt warning, blocked
// card, central's answer, and a pulled card at every step. The core never sees a PIN.
#include "core_fixture.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;
using shensu::cardio::CardErrorCode;
using shensu::cardio::CardKind;

namespace
{

// Home -> 自然人憑證登入 with the card already in the reader -> tries read.
Kiosk atPinPad(int triesLeft = 3)
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    REQUIRE(k.state.screen == Screen::READING_CARD);
    REQUIRE(k.sent<ReadCitizenCard>().size() == 1);
    k.send(CitizenCardReady { READER, triesLeft, false, false, "SERIAL-A", 7 });
    return k;
}

// Confirm a 6-digit PIN, central's challenge arrives, the card worker is asked to log in.
void confirmAndGetChallenge(Kiosk& k)
{
    k.send(ConfirmPin { 6 });
    REQUIRE(k.state.screen == Screen::CARD_LOGIN);
    k.send(LoginChallengeReady { "c-1", "bm9uY2U=" });
}
} // namespace

TEST_CASE("citizen certificate: no card yet asks for one, a citizen card inserted is read")
{
    Kiosk k;
    k.send(ChooseCitizenCertificate {});
    CHECK(k.state.screen == Screen::INSERT_CARD);
    CHECK(k.state.filer == Filer::CITIZEN_CERT);
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    CHECK(k.state.screen == Screen::READING_CARD);
    REQUIRE(k.sent<ReadCitizenCard>().size() == 1);
    CHECK(k.sent<ReadCitizenCard>()[0].reader == READER);
}

TEST_CASE("citizen certificate: a health card inserted instead is not a citizen card")
{
    Kiosk k;
    k.send(ChooseCitizenCertificate {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.not_citizen_card");
    CHECK(k.sent<ReadHealthCard>().empty());
}

TEST_CASE("the login names the card whose tries were read (token serial, insert count), and a new "
          "session forgets it")
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    REQUIRE(k.sent<LoginWithCitizenCard>().size() == 1);
    CHECK(k.sent<LoginWithCitizenCard>()[0].tokenSerial == "SERIAL-A");
    CHECK(k.sent<LoginWithCitizenCard>()[0].insertion == 7);
    k.send(CardRemoved { READER });
    CHECK(k.state.citizenTokenSerial.empty());
    CHECK(k.state.citizenInsertion == 0);
}

TEST_CASE("with tries to spare the PIN pad shows at once with the tries left")
{
    Kiosk k = atPinPad(3);
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.pinTriesLeft == 3);
}

TEST_CASE("a PIN of the wrong length stays on the pad with a message and reaches no card")
{
    Kiosk k = atPinPad();
    k.send(ConfirmPin { 5 });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.pinMessageKey == "pin.length");
    k.send(ConfirmPin { 9 });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.sent<RequestLoginChallenge>().empty());
    CHECK(k.sent<LoginWithCitizenCard>().empty());
}

TEST_CASE("a confirmed PIN asks central for a challenge first, then the card signs it")
{
    Kiosk k = atPinPad();
    k.send(ConfirmPin { 8 });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    CHECK(k.sent<RequestLoginChallenge>().size() == 1);
    CHECK(k.sent<LoginWithCitizenCard>().empty()); // the PIN waits in the pad, not at the card
    k.send(LoginChallengeReady { "c-1", "bm9uY2U=" });
    REQUIRE(k.sent<LoginWithCitizenCard>().size() == 1);
    const auto login = k.sent<LoginWithCitizenCard>()[0];
    CHECK(login.reader == READER);
    CHECK(login.challengeId == "c-1");
    CHECK(login.nonce == "bm9uY2U=");
}

TEST_CASE(
    "no challenge from central: no PIN goes to the card, the pad is wiped, the person is told")
{
    Kiosk k = atPinPad();
    k.send(ConfirmPin { 6 });
    const auto out = k.send(LoginChallengeFailed { "connect: refused" });
    CHECK(k.state.screen == Screen::LOGIN_REFUSED);
    CHECK(k.state.loginRefusalKey == "login_refused.unreachable");
    CHECK(k.sent<LoginWithCitizenCard>().empty());
    CHECK(std::any_of(out.begin(), out.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
}

TEST_CASE("a confirmed PIN waits a bounded time for central's challenge, then is forgotten and "
          "no card is asked")
{
    Kiosk k = atPinPad();
    const auto confirmed = k.send(ConfirmPin { 6 });
    const auto timer = std::find_if(confirmed.begin(), confirmed.end(), [](const Command& c) {
        const auto* t = std::get_if<StartTimer>(&c);
        return t && t->timer == TimerId::CHALLENGE_WAIT;
    });
    REQUIRE(timer != confirmed.end());
    const auto& wait = std::get<StartTimer>(*timer);
    CHECK(wait.after == k.state.challengeWait);
    CHECK(wait.after <= std::chrono::seconds(30));
    const auto out = k.send(TimerExpired { TimerId::CHALLENGE_WAIT, wait.generation });
    CHECK(k.state.screen == Screen::LOGIN_REFUSED);
    CHECK(k.state.loginRefusalKey == "login_refused.unreachable");
    CHECK(std::any_of(out.begin(), out.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
    // The challenge that comes late starts nothing.
    k.send(LoginChallengeReady { "c-late", "bm9uY2U=" });
    CHECK(k.sent<LoginWithCitizenCard>().empty());
}

TEST_CASE("a stale challenge timer (an earlier confirm) does not break off a login under way")
{
    Kiosk k = atPinPad();
    k.send(ConfirmPin { 6 });
    const auto stale = k.state.challengeGeneration;
    k.send(LoginChallengeReady { "c-1", "bm9uY2U=" });
    k.send(TimerExpired { TimerId::CHALLENGE_WAIT, stale });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    CHECK(k.sent<LoginWithCitizenCard>().size() == 1);
}

TEST_CASE("central unreachable after the card signed: its own message, not 'no PIN reached the "
          "card'")
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    k.send(CitizenCardSigned { READER, "cert", "sig" });
    k.send(CardLoginRefused { "unreachable_after_card" });
    CHECK(k.state.screen == Screen::LOGIN_REFUSED);
    CHECK(k.state.loginRefusalKey == "login_refused.unreachable_after_card");
}

TEST_CASE("a wrong PIN goes back to the pad with the tries left, and nothing retries it")
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    const auto out = k.send(PinRejected { READER, 2, false });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.pinTriesLeft == 2);
    CHECK(k.state.pinMessageKey == "pin.wrong");
    CHECK(out.empty() == false); // the idle timer only
    CHECK(std::none_of(out.begin(), out.end(), [](const Command& c) {
        return std::holds_alternative<LoginWithCitizenCard>(c)
            || std::holds_alternative<RequestLoginChallenge>(c);
    }));
    CHECK(k.sent<LoginWithCitizenCard>().size() == 1);
}

TEST_CASE("before the try that can block the card the warning shows, and must be acknowledged")
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    k.send(PinRejected { READER, 1, false });
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
    // A confirm sneaking past the warning (a stale tap) does not reach the card.
    k.send(ConfirmPin { 6 });
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.pinTriesLeft == 1);
    k.send(ConfirmPin { 6 });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
}

TEST_CASE("a card with one try left warns before its first attempt")
{
    Kiosk k = atPinPad(1);
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::PIN_ENTRY);
}

TEST_CASE("a blocked card shows how to unblock it and is never asked for a PIN")
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    k.send(CitizenCardReady { READER, 0, true });
    CHECK(k.state.screen == Screen::CARD_BLOCKED);
    k.send(ConfirmPin { 6 });
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::CARD_BLOCKED);
    CHECK(k.sent<RequestLoginChallenge>().empty());
    CHECK(k.sent<LoginWithCitizenCard>().empty());
}

TEST_CASE("the third wrong PIN blocks the card: the blocked screen")
{
    Kiosk k = atPinPad(1);
    k.send(AcknowledgeLastAttempt {});
    confirmAndGetChallenge(k);
    k.send(PinRejected { READER, 0, true });
    CHECK(k.state.screen == Screen::CARD_BLOCKED);
    k.send(GoHome {});
    CHECK(k.state.screen == Screen::HOME);
}

TEST_CASE("the card signs, central accepts: name and agency prefill the form, the filer is "
          "identified by citizen certificate")
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    k.send(CitizenCardSigned { READER, "DER", "SIG" });
    REQUIRE(k.sent<VerifyCardLogin>().size() == 1);
    CHECK(k.sent<VerifyCardLogin>()[0].challengeId == "c-1");
    CHECK(k.sent<VerifyCardLogin>()[0].certificateDer == "DER");
    k.send(CardLoginAccepted { "林測試", "測試市政府人事處" });
    CHECK(k.state.screen == Screen::CARD_READ);
    k.send(ContinueWithCard {});
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.answers["name"] == "林測試");
    CHECK(k.state.answers["agency"] == "測試市政府人事處");
    const auto filing = buildFiling(k.state, "2026-11-23T10:00:00Z");
    CHECK(filing["filer"]["method"] == "citizen_certificate");
    CHECK(filing["filer"]["name"] == "林測試");
    CHECK(filing["filer"]["agency"] == "測試市政府人事處");
}

TEST_CASE("each of central's refusals is its own message")
{
    for (const std::string result :
        { "certificate_invalid", "certificate_expired", "certificate_revoked", "not_in_personnel",
            "departed", "owner_mismatch", "bad_signature", "challenge_invalid", "unavailable" }) {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CitizenCardSigned { READER, "DER", "SIG" });
        k.send(CardLoginRefused { result });
        CHECK(k.state.screen == Screen::LOGIN_REFUSED);
        CHECK(k.state.loginRefusalKey == "login_refused." + result);
    }
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    k.send(CitizenCardSigned { READER, "DER", "SIG" });
    k.send(CardLoginRefused { "something_new" });
    CHECK(k.state.loginRefusalKey == "login_refused.failed");
}

TEST_CASE("the citizen card pulled at any step ends the session and wipes it")
{
    SECTION("on the PIN pad")
    {
        Kiosk k = atPinPad();
        const auto out = k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.noticeKey == "home.citizen_card_removed");
        CHECK(std::any_of(out.begin(), out.end(),
            [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
    }
    SECTION("on the warning")
    {
        Kiosk k = atPinPad(1);
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
    }
    SECTION("while the card is logging in: its late answer changes nothing")
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
        k.send(PinRejected { READER, 2, false });
        k.send(CitizenCardSigned { READER, "DER", "SIG" });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.sent<VerifyCardLogin>().empty());
    }
    SECTION("after the login broke off with the card gone (card_error first, then the removal)")
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::NO_CARD });
        CHECK(k.state.screen == Screen::CARD_ERROR);
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.noticeKey == "home.citizen_card_removed");
        CHECK(k.state.filer == Filer::NONE);
    }
    SECTION("on the form after login")
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CitizenCardSigned { READER, "DER", "SIG" });
        k.send(CardLoginAccepted { "林測試", "測試市政府人事處" });
        k.send(ContinueWithCard {});
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.answers.empty());
        CHECK(k.state.cardHolderName.empty());
        CHECK(k.state.agency.empty());
        CHECK(k.state.filer == Filer::NONE);
    }
}

TEST_CASE("a card failure while logging in is a card error, PIN_LOCKED is the blocked screen, a "
          "length the card refuses returns to the pad")
{
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::COMMUNICATION_FAILED });
        CHECK(k.state.screen == Screen::CARD_ERROR);
        k.send(RetryCard {});
        CHECK(k.state.screen == Screen::READING_CARD); // the card is still in: read again
    }
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::PIN_LOCKED });
        CHECK(k.state.screen == Screen::CARD_BLOCKED);
    }
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::PIN_LEN_RANGE });
        CHECK(k.state.screen == Screen::PIN_ENTRY);
        CHECK(k.state.pinMessageKey == "pin.length");
    }
    {
        // A right but expired PIN is not a blocked card, nor a wrong PIN.
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::PIN_EXPIRED });
        CHECK(k.state.screen == Screen::CARD_ERROR);
        CHECK(k.state.cardErrorKey == "card_error.pin_expired");
    }
    {
        Kiosk k = atPinPad();
        confirmAndGetChallenge(k);
        k.send(CardReadFailed { CardErrorCode::PIN_INVALID });
        CHECK(k.state.screen == Screen::PIN_ENTRY);
        CHECK(k.state.pinMessageKey == "pin.invalid");
    }
}

TEST_CASE("leaving the PIN pad by cancel or idle timeout tells the app to forget the PIN")
{
    Kiosk k = atPinPad();
    const auto out = k.send(GoHome {});
    CHECK(std::any_of(out.begin(), out.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
    Kiosk t = atPinPad();
    // The quiet time runs out, then the countdown's seconds one by one.
    auto out2 = t.send(TimerExpired { TimerId::SESSION_IDLE, t.state.idleGeneration });
    CHECK(t.state.screen == Screen::PIN_ENTRY); // the countdown shows first
    for (int i = 0; i < 100 && t.state.idleCountdown > 0; ++i)
        out2 = t.send(TimerExpired { TimerId::SESSION_TICK, t.state.idleGeneration });
    CHECK(t.state.screen == Screen::HOME);
    CHECK(std::any_of(out2.begin(), out2.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
}

TEST_CASE("a PIN-pad reader: no digits on screen, start asks the card worker to log in on the "
          "reader's keypad, and a cancel or timeout there returns to the start screen")
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    k.send(CitizenCardReady { READER, 3, false, true });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.readerPinPad);
    k.send(ConfirmPin { 0 }); // 開始: the digits are typed on the reader later
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    k.send(LoginChallengeReady { "c-1", "bm9uY2U=" });
    REQUIRE(k.sent<LoginWithCitizenCard>().size() == 1);
    CHECK(k.sent<LoginWithCitizenCard>()[0].onReaderPinPad);
    k.send(CardReadFailed { CardErrorCode::CANCELLED });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.pinMessageKey == "pin.reader_cancelled");
    // The last try on a keypad reader is warned about too.
    k.send(ConfirmPin { 0 });
    k.send(LoginChallengeReady { "c-2", "bm9uY2U=" });
    k.send(PinRejected { READER, 1, false });
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
}

TEST_CASE("two citizen cards in two readers: the kiosk asks to leave only one in, reads neither, "
          "and goes on with the one left")
{
    Kiosk k;
    const std::string other = "Virtual PCD 00 01";
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(CardInserted { other, CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.several_cards");
    CHECK(k.sent<ReadCitizenCard>().empty());
    // 重試 with both still in asks the same, rather than for a card.
    k.send(RetryCard {});
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.several_cards");
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::READING_CARD);
    REQUIRE(k.sent<ReadCitizenCard>().size() == 1);
    CHECK(k.sent<ReadCitizenCard>()[0].reader == other);
}

TEST_CASE("a second citizen card inserted on the PIN pad: the pad closes, its digits are "
          "forgotten, and no login starts until one card is left")
{
    Kiosk k = atPinPad();
    REQUIRE(k.state.screen == Screen::PIN_ENTRY);
    k.send(CardInserted { "Virtual PCD 00 01", CardKind::CITIZEN_CARD });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.several_cards");
    CHECK(k.sent<ForgetPin>().size() == 1);
    k.send(ConfirmPin { 6 });
    CHECK(k.sent<RequestLoginChallenge>().empty());
    k.send(CardRemoved { "Virtual PCD 00 01" });
    CHECK(k.state.screen == Screen::READING_CARD);
    CHECK(k.sent<ReadCitizenCard>().back().reader == READER);
}

TEST_CASE("a health card next to the citizen card is not a second citizen card")
{
    Kiosk k = atPinPad();
    k.send(CardInserted { "Virtual PCD 00 01", CardKind::HEALTH_CARD });
    CHECK(k.state.screen == Screen::PIN_ENTRY);
}

TEST_CASE("both of two citizen cards taken out: the kiosk asks for a card")
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(CardInserted { "Virtual PCD 00 01", CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    REQUIRE(k.state.cardErrorKey == "card_error.several_cards");
    k.send(CardRemoved { READER });
    // (the first removal already went on with the other card; now that one goes too)
    k.send(CardRemoved { "Virtual PCD 00 01" });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.noticeKey == "home.citizen_card_removed");
}

TEST_CASE("the readers gone on the PIN pad: the card-service error stays (the card's removal that "
          "follows is not 'card pulled'), the pad's digits are forgotten")
{
    Kiosk k = atPinPad();
    k.send(CardService { false, CardErrorCode::SERVICE_UNAVAILABLE });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    const std::string key = k.state.cardErrorKey;
    CHECK(k.sent<ForgetPin>().size() == 1);
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == key);
    k.send(ConfirmPin { 6 });
    CHECK(k.sent<RequestLoginChallenge>().empty());
}

TEST_CASE("a PIN-pad reader's timeout, cancel and wrong length are three different messages on the "
          "start screen, with the tries left unchanged")
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::CITIZEN_CARD });
    k.send(ChooseCitizenCertificate {});
    k.send(CitizenCardReady { READER, 3, false, true });
    const auto fail = [&k](CardErrorCode code) {
        k.send(ConfirmPin { 0 });
        k.send(LoginChallengeReady { "c", "bm9uY2U=" });
        k.send(CardReadFailed { code });
        CHECK(k.state.screen == Screen::PIN_ENTRY);
        CHECK(k.state.pinTriesLeft == 3);
        return k.state.pinMessageKey;
    };
    CHECK(fail(CardErrorCode::PIN_PAD_TIMEOUT) == "pin.reader_timeout");
    CHECK(fail(CardErrorCode::CANCELLED) == "pin.reader_cancelled");
    CHECK(fail(CardErrorCode::PIN_LEN_RANGE) == "pin.reader_length");
    // A wrong PIN typed on the keypad is a spent try like any other.
    k.send(ConfirmPin { 0 });
    k.send(LoginChallengeReady { "c", "bm9uY2U=" });
    k.send(PinRejected { READER, 2, false });
    CHECK(k.state.pinMessageKey == "pin.wrong");
    CHECK(k.state.pinTriesLeft == 2);
}

// --- signing the filing at 確認送出 (issue 5) ---------------------------------------------------

namespace
{
// Logged in with the citizen card, the form filled, the review screen showing.
Kiosk atReview()
{
    Kiosk k = atPinPad();
    confirmAndGetChallenge(k);
    k.send(CitizenCardSigned { READER, "DER", "SIG" });
    k.send(CardLoginAccepted { "林測試", "測試市政府人事處" });
    k.send(ContinueWithCard {});
    k.fillValidIdentifiedForm();
    k.send(ReviewForm {});
    REQUIRE(k.state.screen == Screen::REVIEW);
    return k;
}
// 確認送出 → the same card read again → the PIN pad with the "sign" wording.
Kiosk atSignPad(int triesLeft = 3)
{
    Kiosk k = atReview();
    const auto readsBefore = k.sent<ReadCitizenCard>().size();
    k.send(ConfirmFiling { "2026-11-23T10:00:00Z" });
    REQUIRE(k.state.screen == Screen::READING_CARD);
    REQUIRE(k.sent<ReadCitizenCard>().size() == readsBefore + 1);
    k.send(CitizenCardReady { READER, triesLeft, false, false, "SERIAL-A", 7 });
    return k;
}
} // namespace

TEST_CASE("a citizen-certificate filing asks for the PIN again and is stored only through one "
          "card signature")
{
    Kiosk k = atSignPad();
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.signingFiling);
    CHECK(k.sent<StoreFiling>().empty());
    CHECK(k.sent<SignAndStoreFiling>().empty());
    const auto commands = k.send(ConfirmPin { 6 });
    CHECK(k.state.screen == Screen::SUBMITTING);
    CHECK(k.sent<RequestLoginChallenge>().size() == 1); // only the login's
    REQUIRE(k.sent<SignAndStoreFiling>().size() == 1);
    const auto sign = k.sent<SignAndStoreFiling>()[0];
    CHECK(sign.reader == READER);
    CHECK(sign.tokenSerial == "SERIAL-A");
    CHECK(sign.insertion == 7);
    CHECK(sign.filing["filer"]["method"] == "citizen_certificate");
    CHECK(sign.filing["createdAt"] == "2026-11-23T10:00:00Z");
    CHECK(k.sent<StoreFiling>().empty());
    // The PIN stays in the handoff for the card call: no ForgetPin yet.
    CHECK(std::none_of(commands.begin(), commands.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
    const auto stored = k.send(FilingStored { "f-1" });
    CHECK(std::any_of(stored.begin(), stored.end(),
        [](const Command& c) { return std::holds_alternative<ForgetPin>(c); }));
    k.send(FilingAccepted { "f-1", "A-1", "1234567890123452" });
    CHECK(k.state.screen == Screen::SUBMITTED);
}

TEST_CASE("signing, a wrong PIN goes back to the pad with the tries left, the last try is warned "
          "of, a blocked card ends on card_blocked, nothing is stored")
{
    Kiosk k = atSignPad(2);
    k.send(ConfirmPin { 6 });
    k.send(PinRejected { READER, 1, false });
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
    CHECK(k.state.pinTriesLeft == 1);
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::PIN_ENTRY);
    CHECK(k.state.signingFiling);
    CHECK(k.state.pinMessageKey == "pin.wrong");
    k.send(ConfirmPin { 6 });
    CHECK(k.sent<SignAndStoreFiling>().size() == 2);
    k.send(PinRejected { READER, 0, true });
    CHECK(k.state.screen == Screen::CARD_BLOCKED);
    CHECK(k.sent<StoreFiling>().empty());
}

TEST_CASE("signing, a card that last had one try left is warned of before the pad")
{
    Kiosk k = atSignPad(1);
    CHECK(k.state.screen == Screen::PIN_LAST_ATTEMPT);
}

TEST_CASE("signing, another card than the login's ends the session before any PIN")
{
    Kiosk k = atReview();
    k.send(ConfirmFiling { "2026-11-23T10:00:00Z" });
    k.send(CitizenCardReady { READER, 3, false, false, "SERIAL-B", 7 });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.noticeKey == "home.sign_other_card");
    CHECK(k.state.answers.empty());
    CHECK(k.sent<SignAndStoreFiling>().empty());
}

TEST_CASE("signing, the card pulled on the pad or during the card call ends the session, nothing "
          "stored")
{
    SECTION("on the pad")
    {
        Kiosk k = atSignPad();
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.answers.empty());
        CHECK(k.sent<SignAndStoreFiling>().empty());
    }
    SECTION("during the card call: the card worker's answer decides")
    {
        Kiosk k = atSignPad();
        k.send(ConfirmPin { 6 });
        k.send(CardRemoved { READER });
        CHECK(k.state.screen == Screen::SUBMITTING);
        k.send(CardReadFailed { CardErrorCode::CARD_REMOVED });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.noticeKey == "home.citizen_card_removed");
        CHECK(k.state.answers.empty());
        CHECK(k.state.filer == Filer::NONE);
    }
}

TEST_CASE("an anonymous filing is stored without any card call")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.fillValidAnonymousForm();
    k.send(ReviewForm {});
    k.send(ConfirmFiling { "2026-11-23T10:00:00Z" });
    CHECK(k.sent<StoreFiling>().size() == 1);
    CHECK(k.sent<SignAndStoreFiling>().empty());
    CHECK(k.sent<ReadCitizenCard>().empty());
}
