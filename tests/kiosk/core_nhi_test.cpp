// Health-card login: the card identifies, the registration password (健保卡註冊密碼), checked by
// central, authenticates; central's failure counter shows like card tries.
#include "core_fixture.hpp"

#include <catch2/catch.hpp>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;
using shensu::cardio::CardKind;

namespace
{

Kiosk atPasswordScreen()
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.send(HealthCardRead { READER, "林測試", Kiosk::NHI_CARD_NUMBER });
    REQUIRE(k.state.screen == Screen::CARD_LOGIN);
    REQUIRE(k.sent<AskNhiStatus>().size() == 1);
    k.send(NhiStatusAnswered { "ok", 3, k.state.nhiStatusGeneration });
    REQUIRE(k.state.screen == Screen::NHI_PASSWORD);
    return k;
}

Kiosk atStatusCheck()
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.send(HealthCardRead { READER, "林測試", Kiosk::NHI_CARD_NUMBER });
    return k;
}

template<typename C> bool has(const std::vector<Command>& commands)
{
    for (const auto& c : commands) {
        if (std::holds_alternative<C>(c)) return true;
    }
    return false;
}

} // namespace

TEST_CASE("health card: a password of fewer than 6 or more than 12 characters goes nowhere")
{
    Kiosk k = atPasswordScreen();
    CHECK(k.state.nhiTriesLeft == 3); // central said so before the screen showed
    for (const std::size_t n : { 0U, 5U, 13U }) {
        k.send(ConfirmNhiPassword { n });
        CHECK(k.state.screen == Screen::NHI_PASSWORD);
        CHECK(k.state.nhiMessageKey == "nhi_password.length");
    }
    CHECK(k.sent<LoginWithNhiPassword>().empty());
    for (const std::size_t n : { 6U, 12U }) {
        Kiosk ok = atPasswordScreen();
        ok.send(ConfirmNhiPassword { n });
        CHECK(ok.state.screen == Screen::CARD_LOGIN);
        CHECK(ok.sent<LoginWithNhiPassword>().size() == 1);
    }
}

TEST_CASE("health card: central is asked for the card's tries before any password screen")
{
    Kiosk k = atStatusCheck();
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    CHECK(k.state.loginStep == LoginStep::NHI_STATUS);
    REQUIRE(k.sent<AskNhiStatus>().size() == 1);
    CHECK(k.sent<AskNhiStatus>()[0].cardNumber == Kiosk::NHI_CARD_NUMBER);
    k.send(ConfirmNhiPassword { 8 }); // nothing typed can leave before central has answered
    CHECK(k.sent<LoginWithNhiPassword>().empty());
    k.send(NhiStatusAnswered { "ok", 2, k.state.nhiStatusGeneration });
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
    CHECK(k.state.nhiTriesLeft == 2);
    k.send(NhiStatusAnswered {
        "locked", 0, k.state.nhiStatusGeneration }); // a late or repeated answer changes nothing
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
}

TEST_CASE("health card: a status answer for an earlier session's card is not taken for this one's")
{
    Kiosk k = atStatusCheck();
    const auto earlier = k.state.nhiStatusGeneration;
    k.send(GoHome {});
    k.send(ChooseHealthCard {});
    k.send(HealthCardRead { READER, "林測試", Kiosk::NHI_CARD_NUMBER });
    REQUIRE(k.state.loginStep == LoginStep::NHI_STATUS);
    REQUIRE(k.sent<AskNhiStatus>().size() == 2);
    CHECK(k.sent<AskNhiStatus>()[1].generation != earlier);
    k.send(NhiStatusAnswered { "ok", 3, earlier }); // the slow answer about the first card
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    k.send(NhiStatusAnswered { "ok", 1, k.state.nhiStatusGeneration });
    CHECK(k.state.screen == Screen::NHI_LAST_ATTEMPT);
}

TEST_CASE("health card: one try left at central warns before the first password of the session")
{
    Kiosk k = atStatusCheck();
    k.send(NhiStatusAnswered { "ok", 1, k.state.nhiStatusGeneration });
    CHECK(k.state.screen == Screen::NHI_LAST_ATTEMPT);
    CHECK(k.state.nhiTriesLeft == 1);
    k.send(ConfirmNhiPassword { 8 });
    CHECK(k.sent<LoginWithNhiPassword>().empty());
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
    k.send(ConfirmNhiPassword { 8 });
    CHECK(k.sent<LoginWithNhiPassword>().size() == 1);
}

TEST_CASE("health card: locked, not registered or central unreachable at the status check ask for "
          "no password")
{
    {
        Kiosk k = atStatusCheck();
        k.send(NhiStatusAnswered { "locked", 0, k.state.nhiStatusGeneration });
        CHECK(k.state.screen == Screen::NHI_LOCKED);
    }
    {
        Kiosk k = atStatusCheck();
        k.send(NhiStatusAnswered { "not_registered", 0, k.state.nhiStatusGeneration });
        CHECK(k.state.screen == Screen::LOGIN_REFUSED);
        CHECK(k.state.loginRefusalKey == "login_refused.nhi_not_registered");
    }
    {
        Kiosk k = atStatusCheck();
        const auto after
            = k.send(NhiStatusAnswered { "unavailable", 0, k.state.nhiStatusGeneration });
        CHECK(k.state.screen == Screen::LOGIN_REFUSED);
        CHECK(k.state.loginRefusalKey == "login_refused.nhi_unavailable");
        CHECK_FALSE(has<AskNhiStatus>(after)); // never asked again on the person's behalf
        CHECK(k.sent<AskNhiStatus>().size() == 1);
    }
}

TEST_CASE("health card: wrong passwords show the tries left, warn before the last, then the "
          "locked screen, never a retry on the person's behalf")
{
    Kiosk k = atPasswordScreen();
    k.send(ConfirmNhiPassword { 6 });
    const auto afterWrong = k.send(NhiLoginAnswered { "wrong_password", 2 });
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
    CHECK(k.state.nhiTriesLeft == 2);
    CHECK(k.state.nhiMessageKey == "nhi_password.wrong");
    CHECK_FALSE(has<LoginWithNhiPassword>(afterWrong));
    CHECK(k.sent<LoginWithNhiPassword>().size() == 1);

    const auto before = k.state.nhiPasswordGeneration;
    k.send(ConfirmNhiPassword { 7 });
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 2);
    k.send(NhiLoginAnswered { "wrong_password", 1 });
    // The next try can lock the registration: the warning first, and no password screen.
    CHECK(k.state.screen == Screen::NHI_LAST_ATTEMPT);
    CHECK(k.state.nhiTriesLeft == 1);
    k.send(ConfirmNhiPassword { 8 }); // a stray confirm from the old screen does nothing
    CHECK(k.sent<LoginWithNhiPassword>().size() == 2);
    k.send(AcknowledgeLastAttempt {});
    CHECK(k.state.screen == Screen::NHI_PASSWORD);
    CHECK(k.state.nhiPasswordGeneration > before); // a fresh, empty field
    k.send(ConfirmNhiPassword { 8 });
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 3);
    k.send(NhiLoginAnswered { "locked" });
    CHECK(k.state.screen == Screen::NHI_LOCKED);
    CHECK(k.sent<LoginWithNhiPassword>().size() == 3);
}

TEST_CASE(
    "health card: the last-attempt warning comes back after each wrong answer, and leaving it "
    "sends nothing")
{
    Kiosk k = atPasswordScreen();
    k.send(ConfirmNhiPassword { 6 });
    k.send(NhiLoginAnswered { "wrong_password", 1 });
    REQUIRE(k.state.screen == Screen::NHI_LAST_ATTEMPT);
    k.send(GoHome {});
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.healthCardNumber.empty());
    CHECK(k.state.nhiTriesLeft == 0);
    CHECK(k.sent<LoginWithNhiPassword>().size() == 1);
}

TEST_CASE("health card: not registered, unavailable and malformed each have their own message")
{
    {
        Kiosk k = atPasswordScreen();
        k.send(ConfirmNhiPassword { 6 });
        k.send(NhiLoginAnswered { "not_registered" });
        CHECK(k.state.screen == Screen::LOGIN_REFUSED);
        CHECK(k.state.loginRefusalKey == "login_refused.nhi_not_registered");
    }
    {
        Kiosk k = atPasswordScreen();
        k.send(ConfirmNhiPassword { 6 });
        k.send(NhiLoginAnswered { "unavailable" });
        CHECK(k.state.screen == Screen::LOGIN_REFUSED);
        CHECK(k.state.loginRefusalKey == "login_refused.nhi_unavailable");
    }
    {
        Kiosk k = atPasswordScreen();
        k.send(ConfirmNhiPassword { 6 });
        k.send(NhiLoginAnswered { "malformed_password" });
        CHECK(k.state.screen == Screen::NHI_PASSWORD);
        CHECK(k.state.nhiMessageKey == "nhi_password.malformed");
        CHECK(k.state.nhiTriesLeft == 3); // nothing went to central: its count stands
    }
}

TEST_CASE("health card: leaving the password screen or the login wipes the typed password")
{
    {
        Kiosk k = atPasswordScreen();
        CHECK(has<ForgetPin>(k.send(GoHome {})));
    }
    {
        Kiosk k = atPasswordScreen();
        CHECK(has<ForgetPin>(k.send(CardRemoved { READER })));
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.noticeKey == "home.card_removed");
        CHECK(k.state.healthCardNumber.empty());
    }
    {
        Kiosk k = atPasswordScreen();
        k.send(ConfirmNhiPassword { 6 });
        CHECK(has<ForgetPin>(k.send(NhiLoginAnswered { "wrong_password", 2 })) == false);
        // Back on the password screen: the buffer is renewed by the generation, not forgotten.
        CHECK(k.state.screen == Screen::NHI_PASSWORD);
        CHECK(has<ForgetPin>(k.send(NhiLoginAnswered { "ok", 0, "x", "y" })) == false);
    }
}

TEST_CASE("health card: the card pulled while central checks ends the session, and the late answer "
          "finds nothing")
{
    Kiosk k = atPasswordScreen();
    k.send(ConfirmNhiPassword { 6 });
    k.send(CardRemoved { READER });
    CHECK(k.state.screen == Screen::HOME);
    k.send(NhiLoginAnswered { "ok", 0, "林測試", "測試區公所", Kiosk::ASSERTION });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.cardHolderName.empty());
    CHECK(k.state.nhiAssertion.is_null());
}

TEST_CASE("health card: a login answer for no health-card login is ignored")
{
    Kiosk k;
    k.send(ChooseCitizenCertificate {});
    k.send(NhiLoginAnswered { "ok", 0, "林測試", "測試區公所" });
    CHECK(k.state.cardHolderName.empty());
    CHECK(k.state.screen != Screen::CARD_READ);
}

TEST_CASE("health card: the assertion is gone once the filing is sealed")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.healthCardLogin();
    CHECK(k.state.nhiAssertion == Kiosk::ASSERTION);
    k.send(ContinueWithCard {});
    k.fillValidIdentifiedForm();
    k.send(ReviewForm {});
    k.send(ConfirmFiling { "t" });
    REQUIRE(k.sent<StoreFiling>().size() == 1);
    CHECK(k.sent<StoreFiling>()[0].filing.at("filer").at("assertion") == Kiosk::ASSERTION);
    k.send(FilingStored { "f-1" });
    CHECK(k.state.nhiAssertion.is_null());
}

TEST_CASE("health card: a late answer to the person before lands nowhere in the next session")
{
    Kiosk k = atPasswordScreen();
    k.send(ConfirmNhiPassword { 8 }); // A
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 1);
    const std::uint64_t a = k.sent<LoginWithNhiPassword>()[0].generation;
    k.send(CardRemoved { READER }); // A walks away while central is asked
    REQUIRE(k.state.screen == Screen::HOME);

    k.send(ChooseHealthCard {}); // B
    k.send(CardInserted { READER, CardKind::HEALTH_CARD });
    k.send(HealthCardRead { READER, "王測試", "000087654321" });
    k.send(NhiStatusAnswered { "ok", 3, k.state.nhiStatusGeneration });
    k.send(ConfirmNhiPassword { 9 });
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 2);
    const std::uint64_t b = k.sent<LoginWithNhiPassword>()[1].generation;
    CHECK(b != a);
    REQUIRE(k.state.screen == Screen::CARD_LOGIN);

    // A's answer arrives now.
    k.send(NhiLoginAnswered { "ok", 0, "林測試", "測試區公所", Kiosk::ASSERTION, a });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    CHECK(k.state.loginStep == LoginStep::CENTRAL);
    CHECK(k.state.cardHolderName != "林測試");
    CHECK(k.state.agency.empty());
    CHECK(k.state.nhiAssertion.is_null());
    k.send(NhiLoginAnswered { "wrong_password", 1, {}, {}, {}, a });
    CHECK(k.state.screen == Screen::CARD_LOGIN);
    CHECK(k.state.nhiTriesLeft == 3); // B's card's count from central's status, not A's

    // B's own answer still lands.
    k.send(NhiLoginAnswered { "ok", 0, "王測試", "測試市政府", Kiosk::ASSERTION, b });
    CHECK(k.state.screen == Screen::CARD_READ);
    CHECK(k.state.cardHolderName == "王測試");
}

TEST_CASE("health card: a second health card while the password is typed closes the screen and "
          "forgets the typed password")
{
    for (const bool lastAttempt : { false, true }) {
        Kiosk k = atPasswordScreen();
        if (lastAttempt) {
            k.send(ConfirmNhiPassword { 8 });
            k.send(NhiLoginAnswered { "wrong_password", 1 });
            k.send(ConfirmNhiPassword { 8 });
            REQUIRE(k.state.screen == Screen::NHI_LAST_ATTEMPT);
        }
        const auto sent = k.send(CardInserted { "Other Reader 01", CardKind::HEALTH_CARD });
        CHECK(k.state.screen == Screen::CARD_ERROR);
        CHECK(k.state.cardErrorKey == "card_error.several_cards");
        CHECK(has<ForgetPin>(sent));
        CHECK(k.sent<LoginWithNhiPassword>().size() == (lastAttempt ? 1U : 0U));
    }
}
