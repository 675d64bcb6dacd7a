// The kiosk core's behaviour, event by event: logins, card removal, filing outcomes.
#include "core_fixture.hpp"

#include <catch2/catch.hpp>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;
using shensu::cardio::CardErrorCode;
using shensu::cardio::CardKind;

TEST_CASE("an anonymous filing never emits a card command, even when a card is inserted")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    REQUIRE(k.state.screen == Screen::FORM);
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.fillValidAnonymousForm();
    k.send(ReviewForm {});
    REQUIRE(k.state.screen == Screen::REVIEW);
    k.send(ConfirmFiling { "2026-11-23T10:00:00Z" });
    CHECK(k.state.screen == Screen::SUBMITTING);
    CHECK(k.sent<ReadHealthCard>().empty());
    const auto stores = k.sent<StoreFiling>();
    REQUIRE(stores.size() == 1);
    CHECK(stores[0].filing.at("filer") == "anonymous");
}

TEST_CASE("the anonymous filing carries the form id, the answers, the kiosk id and the time, "
          "nothing else")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.fillValidAnonymousForm();
    k.send(EditField { "identity_other", "should not be sent: 其他 was not chosen" });
    k.send(ReviewForm {});
    k.send(ConfirmFiling { "2026-11-23T10:00:00Z" });
    const auto filing = k.sent<StoreFiling>().at(0).filing;
    CHECK(filing.at("form") == nlohmann::json { { "id", "dgpa-complaint" }, { "version", 1 } });
    CHECK(filing.at("answers")
        == nlohmann::json { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
            { "facts", "主管長期言語霸凌（測試資料）" } });
    CHECK(filing.at("kioskId") == "KIOSK-TEST-01");
    CHECK(filing.at("createdAt") == "2026-11-23T10:00:00Z");
    CHECK(filing.size() == 5);
}

TEST_CASE("choosing 其他 sends the free text with the identity")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.fillValidAnonymousForm();
    k.send(EditField { "identity", "other" });
    k.send(ReviewForm {});
    CHECK(k.state.screen == Screen::FORM); // the free text is missing
    REQUIRE(k.state.issues.size() == 1);
    CHECK(k.state.issues[0].field == "identity_other");
    k.send(EditField { "identity_other", "實習生" });
    k.send(ReviewForm {});
    k.send(ConfirmFiling { "t" });
    const auto answers = k.sent<StoreFiling>().at(0).filing.at("answers");
    CHECK(answers.at("identity") == "other");
    CHECK(answers.at("identity_other") == "實習生");
}

TEST_CASE("a health-card login reads the card in the reader and shows the name from the card")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    CHECK(k.state.screen == Screen::INSERT_CARD);
    CHECK(k.sent<ReadHealthCard>().empty());
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    CHECK(k.state.screen == Screen::READING_CARD);
    REQUIRE(k.sent<ReadHealthCard>().size() == 1);
    CHECK(k.sent<ReadHealthCard>()[0].reader == READER);
    k.send(HealthCardRead { READER, "林測試", "000012345678" });
    // The card identifies; central first says how many tries it has left; the registration
    // password, checked by central, authenticates.
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    REQUIRE(k.sent<AskNhiStatus>().size() == 1);
    k.send(NhiStatusAnswered { "ok", 3, k.state.nhiStatusGeneration });
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
    k.send(ConfirmNhiPassword { 8 });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 1);
    CHECK(k.sent<LoginWithNhiPassword>()[0].cardNumber == "000012345678");
    k.send(NhiLoginAnswered { "ok", 0, "林測試", "測試區公所", Kiosk::ASSERTION });
    CHECK(k.state.screen == Screen::CARD_READ);
    CHECK(k.state.cardHolderName == "林測試");
    CHECK(k.state.healthCardNumber.empty()); // no longer needed once central answered
    k.send(ContinueWithCard {});
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.answers.at("name") == "林測試");
    CHECK(k.state.answers.at("agency") == "測試區公所");
}

TEST_CASE(
    "a health card already in the reader is read as soon as the person chooses health-card login")
{
    Kiosk k;
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    CHECK(k.sent<ReadHealthCard>().empty()); // nobody asked yet
    k.send(ChooseHealthCard {});
    CHECK(k.state.screen == Screen::READING_CARD);
    CHECK(k.sent<ReadHealthCard>().size() == 1);
}

TEST_CASE("the identified filing names the card holder and nothing else from the card")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.healthCardLogin();
    k.send(ContinueWithCard {});
    k.fillValidIdentifiedForm();
    k.send(ReviewForm {});
    REQUIRE(k.state.screen == Screen::REVIEW);
    k.send(ConfirmFiling { "t" });
    const auto filing = k.sent<StoreFiling>().at(0).filing;
    // central's identity assertion goes along exactly as received, under "assertion"
    CHECK(filing.at("filer")
        == nlohmann::json { { "method", "health_card" }, { "name", "林測試" },
            { "agency", "測試區公所" }, { "assertion", Kiosk::ASSERTION } });
    CHECK(filing.at("answers").at("name") == "林測試");
}

TEST_CASE(
    "removing the card during a health-card session wipes the form and returns home with a message")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.healthCardLogin();
    k.send(ContinueWithCard {});
    k.send(EditField { "facts", "不應留下的內容" });
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.noticeKey == "home.card_removed");
    CHECK(k.state.answers.empty());
    CHECK(k.state.cardHolderName.empty());
    CHECK(k.state.filer == Filer::NONE);
    CHECK(k.sent<StoreFiling>().empty());
}

TEST_CASE("removing the card on the review screen also ends the session")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.healthCardLogin();
    k.send(ContinueWithCard {});
    k.fillValidIdentifiedForm();
    k.send(ReviewForm {});
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.answers.empty());
    k.send(ConfirmFiling { "t" }); // a late tap cannot send a wiped session
    CHECK(k.sent<StoreFiling>().empty());
}

TEST_CASE("a card in another reader leaving does not end the session")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.healthCardLogin();
    k.send(ContinueWithCard {});
    k.send(CardRemoved { "Virtual PCD 00 01" });
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.cardHolderName == "林測試");
}

TEST_CASE("removing the card while it is being read shows the card-removed error")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.removed");
    k.send(
        CardReadFailed { CardErrorCode::CARD_REMOVED }); // the worker's late report changes nothing
    CHECK(k.state.screen == Screen::CARD_ERROR);
    k.send(RetryCard {});
    CHECK(k.state.screen == Screen::INSERT_CARD);
}

TEST_CASE("a read that broke off and then the card leaving is reported as a card pulled mid-read")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.send(CardReadFailed { CardErrorCode::COMMUNICATION_FAILED });
    CHECK(k.state.cardErrorKey == "card_error.failed");
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.removed");
}

TEST_CASE("an unknown card is refused without reading it")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::UNKNOWN });
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.unknown_card");
    CHECK(k.sent<ReadHealthCard>().empty());
}

TEST_CASE("each card failure reaches the screen as its own message")
{
    const std::pair<CardErrorCode, const char*> cases[] = {
        { CardErrorCode::UNEXPECTED_RESPONSE, "card_error.unreadable" },
        { CardErrorCode::CARD_REMOVED, "card_error.removed" },
        { CardErrorCode::SERVICE_UNAVAILABLE, "card_error.no_service" },
        { CardErrorCode::NO_READERS, "card_error.no_service" },
        { CardErrorCode::UNSUPPORTED_CARD, "card_error.unknown_card" },
        { CardErrorCode::COMMUNICATION_FAILED, "card_error.failed" },
    };
    for (const auto& [code, key] : cases) {
        Kiosk k;
        k.send(ChooseHealthCard {});
        k.send(CardInserted { READER, CardKind::HEALTH_CARD });
        k.send(CardReadFailed { code });
        CHECK(k.state.screen == Screen::CARD_ERROR);
        CHECK(k.state.cardErrorKey == key);
    }
}

TEST_CASE("with no reader service, health-card login says so instead of waiting for a card")
{
    Kiosk k;
    k.send(CardService { false, CardErrorCode::SERVICE_UNAVAILABLE });
    k.send(ChooseHealthCard {});
    CHECK(k.state.screen == Screen::CARD_ERROR);
    CHECK(k.state.cardErrorKey == "card_error.no_service");
    k.send(GoHome {});
    k.send(CardService { true, CardErrorCode::SERVICE_UNAVAILABLE });
    k.send(ChooseHealthCard {});
    CHECK(k.state.screen == Screen::INSERT_CARD);
}

namespace
{
Kiosk submittedAnonymously()
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.fillValidAnonymousForm();
    k.send(ReviewForm {});
    k.send(ConfirmFiling { "t" });
    return k;
}
} // namespace

TEST_CASE("a stored filing that central accepts shows the case number and verification code")
{
    auto k = submittedAnonymously();
    const auto timers = k.send(FilingStored { "0f1e2d3c-aaaa-bbbb-cccc-000000000001" });
    CHECK(k.state.screen == Screen::SUBMITTING);
    CHECK(k.state.answers.empty()); // sealed on disk: the plaintext is gone from memory
    REQUIRE(timers.size() == 1);
    CHECK(std::get<StartTimer>(timers[0]).after == k.state.submitWait);
    k.send(FilingAccepted {
        "someone-elses-old-filing", "X", "Y" }); // the outbox drains older filings too
    CHECK(k.state.screen == Screen::SUBMITTING);
    k.send(FilingAccepted { "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "1131211-0001", "C40T" });
    CHECK(k.state.screen == Screen::SUBMITTED);
    CHECK(k.state.caseNumber == "1131211-0001");
    CHECK(k.state.verificationCode == "C40T");
}

TEST_CASE("a deferred filing shows the queued screen with the short filing id")
{
    auto k = submittedAnonymously();
    k.send(FilingStored { "0f1e2d3c-aaaa-bbbb-cccc-000000000001" });
    k.send(FilingDeferred { "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "connection refused" });
    CHECK(k.state.screen == Screen::QUEUED);
    CHECK(shortFilingId(k.state.filingId) == "0f1e2d3c");
}

TEST_CASE("a filing sealed with a leased case number shows that number and its code on the queued "
          "screen and central's receipt later keeps them")
{
    auto k = submittedAnonymously();
    k.send(FilingStored { "id-5", "1131211-0005", "7992739871300005" });
    k.send(FilingDeferred { "id-5", "connection refused" });
    CHECK(k.state.screen == Screen::QUEUED);
    CHECK(k.state.caseNumber == "1131211-0005");
    CHECK(k.state.verificationCode == "7992739871300005");
    k.send(FilingAccepted { "id-5", "1131211-0005", "7992739871300005" });
    CHECK(k.state.screen == Screen::SUBMITTED);
    CHECK(k.state.caseNumber == "1131211-0005");
    k.send(GoHome {});
    CHECK(k.state.caseNumber.empty());
    CHECK(k.state.verificationCode.empty());
}

TEST_CASE(
    "when central stays silent the submit timer moves to the queued screen, a stale timer does not")
{
    auto k = submittedAnonymously();
    const auto commands = k.send(FilingStored { "id-1" });
    const auto timer = std::get<StartTimer>(commands.at(0));
    k.send(TimerExpired { TimerId::SUBMIT_WAIT, timer.generation - 1 });
    CHECK(k.state.screen == Screen::SUBMITTING);
    k.send(TimerExpired { TimerId::SUBMIT_WAIT, timer.generation });
    CHECK(k.state.screen == Screen::QUEUED);
    k.send(FilingAccepted {
        "id-1", "1131211-0002", "ABCD" }); // central answered later, while the person still looks
    CHECK(k.state.screen == Screen::SUBMITTED);
}

TEST_CASE("central's answer that overtakes the store confirmation is not lost")
{
    auto k = submittedAnonymously();
    k.send(FilingAccepted { "id-9", "1131211-0009", "WXYZ" });
    k.send(FilingStored { "id-9" });
    CHECK(k.state.screen == Screen::SUBMITTED);
    CHECK(k.state.caseNumber == "1131211-0009");
}

TEST_CASE("a filing that could not be stored says nothing was submitted and keeps the answers for "
          "a retry")
{
    auto k = submittedAnonymously();
    k.send(FilingStoreFailed { "disk full" });
    CHECK(k.state.screen == Screen::SUBMIT_ERROR);
    CHECK_FALSE(k.state.answers.empty());
    k.send(RetrySubmit {});
    CHECK(k.state.screen == Screen::REVIEW);
    k.send(ConfirmFiling { "t2" });
    CHECK(k.sent<StoreFiling>().size() == 2);
}

TEST_CASE("going home after the receipt wipes everything, the language returns to the default")
{
    auto k = submittedAnonymously();
    k.send(SetLanguage { Language::EN });
    k.send(FilingStored { "id-1" });
    k.send(FilingAccepted { "id-1", "1131211-0002", "ABCD" });
    k.send(GoHome {});
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.caseNumber.empty());
    CHECK(k.state.filingId.empty());
    CHECK(k.state.language == Language::ZH_TW); // the next person starts where everyone starts
}

TEST_CASE("screen ids round-trip for automation")
{
    for (const auto s : ALL_SCREENS) {
        Screen back {};
        REQUIRE(parseScreenId(screenId(s), back));
        CHECK(back == s);
    }
}

namespace
{
StartTimer lastIdleTimer(const Kiosk& k)
{
    StartTimer last;
    bool found = false;
    for (const auto& t : k.sent<StartTimer>()) {
        if (t.timer == TimerId::SESSION_IDLE) {
            last = t;
            found = true;
        }
    }
    REQUIRE(found);
    return last;
}

// Lets the idle clock run out: the quiet time, then the countdown's seconds one by one.
void runOutIdle(Kiosk& k)
{
    k.send(TimerExpired { TimerId::SESSION_IDLE, lastIdleTimer(k).generation });
    for (int i = 0; i < 100 && k.state.idleCountdown > 0; ++i)
        k.send(TimerExpired { TimerId::SESSION_TICK, k.state.idleGeneration });
}
} // namespace

TEST_CASE("by default a session is wiped after 120 s untouched, with a 20 s countdown before")
{
    Kiosk k;
    CHECK(k.state.sessionIdle == std::chrono::seconds(120));
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(EditField { "facts", "留在螢幕上的內容" });
    const auto timer = lastIdleTimer(k);
    CHECK(timer.after == std::chrono::seconds(100)); // the countdown starts at 100 s idle
    k.send(TimerExpired { TimerId::SESSION_IDLE, timer.generation });
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.idleCountdown == 20);
    for (int left = 19; left >= 1; --left) {
        const auto ticks = k.send(TimerExpired { TimerId::SESSION_TICK, k.state.idleGeneration });
        CHECK(k.state.idleCountdown == left);
        REQUIRE(ticks.size() == 1);
        CHECK(std::get<StartTimer>(ticks[0]).after == std::chrono::seconds(1));
    }
    CHECK(k.state.answers.at("facts") == "留在螢幕上的內容");
    k.send(TimerExpired { TimerId::SESSION_TICK, k.state.idleGeneration });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.answers.empty());
    CHECK(k.state.idleCountdown == 0);
    CHECK(k.state.noticeKey == "home.session_timed_out");
}

TEST_CASE("繼續作業 during the countdown keeps the session and restarts the clock")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(EditField { "agency", "測試局" });
    k.send(TimerExpired { TimerId::SESSION_IDLE, lastIdleTimer(k).generation });
    k.send(TimerExpired { TimerId::SESSION_TICK, k.state.idleGeneration });
    const auto oldGeneration = k.state.idleGeneration;
    REQUIRE(k.state.idleCountdown == 19);
    k.send(ContinueSession {});
    CHECK(k.state.idleCountdown == 0);
    CHECK(lastIdleTimer(k).generation != oldGeneration);
    // A tick of the old countdown still in flight does nothing.
    for (int i = 0; i < 30; ++i)
        k.send(TimerExpired { TimerId::SESSION_TICK, oldGeneration });
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.answers.at("agency") == "測試局");
}

TEST_CASE("each touch restarts the idle clock: an older expiry does nothing")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    const auto first = lastIdleTimer(k);
    k.send(EditField { "agency", "測試局" });
    k.send(TimerExpired { TimerId::SESSION_IDLE, first.generation });
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.idleCountdown == 0);
    CHECK(k.state.answers.at("agency") == "測試局");
}

TEST_CASE("the receipt screen also times out, but a filing being stored is never interrupted")
{
    Kiosk k = submittedAnonymously();
    const auto beforeStore = lastIdleTimer(k);
    k.send(TimerExpired { TimerId::SESSION_IDLE, beforeStore.generation });
    CHECK(k.state.screen == Screen::SUBMITTING);
    CHECK(k.state.idleCountdown == 0);
    k.send(FilingStored { "id-1" });
    k.send(FilingAccepted { "id-1", "1131211-0002", "ABCD" });
    REQUIRE(k.state.screen == Screen::SUBMITTED);
    runOutIdle(k);
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.caseNumber.empty());
    CHECK(k.state.verificationCode.empty());
}

TEST_CASE("不登入直接申訴 first explains what an anonymous filing is, the form comes after")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    CHECK(k.state.screen == Screen::ANONYMOUS_INFO);
    CHECK(k.state.filer == Filer::ANONYMOUS);
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    CHECK(k.sent<ReadHealthCard>().empty()); // no card is read
    k.send(ConfirmAnonymous {});
    CHECK(k.state.screen == Screen::FORM);
    k.send(GoHome {});
    k.send(ChooseAnonymous {});
    k.send(GoHome {});
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.filer == Filer::NONE);
}

TEST_CASE("結束 ends a session at once, or asks first when answers would be lost")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(AskEndSession {});
    CHECK(k.state.screen == Screen::HOME); // nothing written yet

    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(EditField { "facts", "寫了一半的內容" });
    k.send(AskEndSession {});
    CHECK(k.state.screen == Screen::FORM);
    CHECK(k.state.confirmingEnd);
    k.send(ContinueSession {});
    CHECK_FALSE(k.state.confirmingEnd);
    CHECK(k.state.answers.at("facts") == "寫了一半的內容");
    k.send(AskEndSession {});
    k.send(AskEndSession {}); // the question's 結束
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.answers.empty());
    CHECK_FALSE(k.state.confirmingEnd);
    CHECK(k.state.noticeKey.empty());
}

TEST_CASE("the end of a session restores the default language and the normal display")
{
    Kiosk k;
    k.send(SetDisplay { true, true });
    k.send(SetLanguage { Language::EN });
    k.send(ChooseAnonymous {});
    CHECK(k.state.largeText);
    k.send(GoHome {});
    CHECK(k.state.language == Language::ZH_TW);
    CHECK_FALSE(k.state.largeText);
    CHECK_FALSE(k.state.highContrast);
    // Chosen on the home screen and left there: undone after the idle time.
    k.send(SetDisplay { true, false });
    const auto timer = lastIdleTimer(k);
    CHECK(timer.after == k.state.sessionIdle);
    k.send(TimerExpired { TimerId::SESSION_IDLE, timer.generation });
    CHECK_FALSE(k.state.largeText);
}

TEST_CASE("a notice on the home screen goes away by itself")
{
    Kiosk k;
    k.state.sessionWarning = std::chrono::milliseconds(0); // the idle clock ends it at once
    k.send(ChooseAnonymous {});
    k.send(TimerExpired { TimerId::SESSION_IDLE, lastIdleTimer(k).generation });
    REQUIRE(k.state.noticeKey == "home.session_timed_out");
    StartTimer notice;
    for (const auto& t : k.sent<StartTimer>()) {
        if (t.timer == TimerId::NOTICE) notice = t;
    }
    REQUIRE(notice.timer == TimerId::NOTICE);
    CHECK(notice.after == k.state.noticeShown);
    k.send(TimerExpired { TimerId::NOTICE, notice.generation });
    CHECK(k.state.noticeKey.empty());
}

TEST_CASE("a touch anywhere (no widget) restarts the idle clock and closes the countdown")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(TimerExpired { TimerId::SESSION_IDLE, lastIdleTimer(k).generation });
    REQUIRE(k.state.idleCountdown == 20);
    const auto before = lastIdleTimer(k).generation;
    k.send(Touched {});
    CHECK(k.state.idleCountdown == 0);
    CHECK(lastIdleTimer(k).generation != before);
    CHECK(k.state.screen == Screen::FORM);
}
