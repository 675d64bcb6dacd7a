// The real screens, rendered headless with SDL's software renderer and tapped by widget id like a
// finger.
#include "kiosk/ui/fonts.hpp"
#include "ui_fixture.hpp"

#include <catch2/catch.hpp>
#include <cfloat>
#include <filesystem>
#include <fstream>
#include <set>

#include <SDL.h>
#include <imgui.h>

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;
using namespace shensu::kiosk::test;

namespace
{

constexpr const char* READER = "Virtual PCD 00 00";

} // namespace

TEST_CASE("tapping 不登入直接申訴 on the home screen opens the form")
{
    Kiosk k;
    REQUIRE(k.screen() == Screen::HOME);
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    CHECK(k.screen() == Screen::FORM);
    CHECK(k.shell.state().filer == Filer::ANONYMOUS);
}

TEST_CASE("every button on the home screen and the form is a touch target of at least 44 px")
{
    Kiosk k;
    for (const char* id : { "home.health_card", "home.anonymous", "home.citizen_cert",
             "home.case_query", "common.language" }) {
        INFO(id);
        CHECK(k.widget(id).height() >= 44);
        CHECK(k.widget(id).width() >= 44);
    }
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    for (const auto& id : k.shell.ui().widgets.ids()) {
        INFO(id);
        CHECK(k.widget(id).height() >= 44);
    }
}

TEST_CASE("a tap on a widget that is not on the screen fails with the widget and the screen named")
{
    Kiosk k;
    std::string error;
    CHECK_FALSE(k.shell.tap("review.confirm", error));
    CHECK(error == "no widget \"review.confirm\" on screen home");
    CHECK(k.screen() == Screen::HOME);
}

TEST_CASE("typed Chinese reaches the answers and the counter shows the characters left")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.type("form.facts", "主管長期言語霸凌");
    CHECK(k.shell.state().answers.at("facts") == "主管長期言語霸凌");
    CHECK(remainingCharacters(k.shell.state(), "facts") == 992);
    k.type("form.facts", "。");
    CHECK(k.shell.state().answers.at("facts")
        == "主管長期言語霸凌。"); // appended, not inserted where the finger was
}

TEST_CASE("choosing an identity by position or by id selects the same option, 其他 asks for text")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("form.identity.0");
    CHECK(k.shell.state().answers.at("identity") == "civil_servant");
    k.tap("form.identity.other");
    CHECK(k.shell.state().answers.at("identity") == "other");
    k.shell.frame();
    k.type("form.identity_other", "實習生");
    CHECK(k.shell.state().answers.at("identity_other") == "實習生");
}

TEST_CASE("the language toggle is on every screen and switches the kiosk to English and back")
{
    Kiosk k;
    k.tap("common.language");
    CHECK(k.shell.state().language == Language::EN);
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("common.language");
    CHECK(k.shell.state().language == Language::ZH_TW);
    CHECK(k.screen() == Screen::FORM);
}

TEST_CASE("an empty form cannot be reviewed: the person stays on the form with the fields marked")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("form.submit");
    CHECK(k.screen() == Screen::FORM);
    CHECK(k.shell.state().issues.size() == 3);
}

TEST_CASE(
    "a health-card session from the worker's events shows the name, and pulling the card wipes it")
{
    Kiosk k;
    k.tap("home.health_card");
    CHECK(k.screen() == Screen::INSERT_CARD);
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    CHECK(k.screen() == Screen::READING_CARD);
    REQUIRE(k.sent<ReadHealthCard>().size() == 1);
    k.workerSays(HealthCardRead { READER, "林測試", "000012345678" });
    CHECK(k.screen() == Screen::CARD_LOGIN); // central says the card's tries first
    REQUIRE(k.sent<AskNhiStatus>().size() == 1);
    k.workerSays(NhiStatusAnswered { "ok", 3, k.shell.state().nhiStatusGeneration });
    CHECK(k.screen() == Screen::NHI_PASSWORD);
    for (const char* key : { "kb.a", "kb.b", "kb.1", "kb.2", "kb.3", "kb.4" })
        k.tap(key);
    k.tap("nhi_password.confirm");
    CHECK(k.screen() == Screen::CARD_LOGIN);
    REQUIRE(k.sent<LoginWithNhiPassword>().size() == 1);
    CHECK(k.sent<LoginWithNhiPassword>()[0].cardNumber == "000012345678");
    k.workerSays(NhiLoginAnswered { "ok", 0, "林測試", "測試區公所", nullptr });
    CHECK(k.screen() == Screen::CARD_READ);
    k.tap("card_read.continue");
    CHECK(k.screen() == Screen::FORM);
    k.type("form.facts", "測試");
    k.workerSays(CardRemoved { READER });
    CHECK(k.screen() == Screen::HOME);
    CHECK(k.shell.state().answers.empty());
    CHECK(k.shell.state().noticeKey == "home.card_removed");
}

TEST_CASE("the registration password is typed on the keyboard's letters and symbols or a physical "
          "keyboard, kept in the app's locked buffer only, and wiped when the screen is left")
{
    Kiosk k;
    k.tap("home.health_card");
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    k.workerSays(HealthCardRead { READER, "林測試", "000012345678" });
    k.workerSays(NhiStatusAnswered { "ok", 3, k.shell.state().nhiStatusGeneration });
    REQUIRE(k.screen() == Screen::NHI_PASSWORD);
    CHECK(k.shell.ui().widgets.find("kb.ㄅ") == nullptr); // no Zhuyin for a password
    k.tap("kb.shift");
    k.tap("kb.A");
    k.tap("kb.b");
    k.tap("kb.mode.symbols");
    k.tap("kb.#");
    k.tap("kb.~");
    k.tap("kb.backspace");
    k.tap("kb.mode.english");
    k.tap("kb.9");
    ImGui::GetIO().AddInputCharactersUTF8(
        "x7 測"); // a physical keyboard: the space and 測 go nowhere
    k.shell.frame();
    const auto& typed = k.shell.nhiPassword();
    CHECK(std::string(reinterpret_cast<const char*>(typed.data()), typed.size()) == "Ab#9x7");
    k.tap("nhi_password.confirm");
    CHECK(k.screen() == Screen::CARD_LOGIN); // 6 characters: sent (here, to no worker)
    CHECK(k.shell.nhiPassword().size() == 6); // the app moves it to the network worker
    k.workerSays(NhiLoginAnswered { "wrong_password", 2 });
    REQUIRE(k.screen() == Screen::NHI_PASSWORD);
    CHECK(k.shell.nhiPassword().empty()); // a fresh screen, an empty field
    k.tap("kb.q");
    k.tap("nhi_password.confirm");
    CHECK(k.screen() == Screen::NHI_PASSWORD); // 1 character: not sent
    CHECK(k.shell.state().nhiMessageKey == "nhi_password.length");
    CHECK(k.sent<LoginWithNhiPassword>().size() == 1);
    k.tap("nhi_password.cancel");
    CHECK(k.screen() == Screen::HOME);
    CHECK(k.shell.nhiPassword().empty());
    for (std::size_t i = 0; i < shensu::cardio::NhiPassword::CAPACITY; ++i)
        CHECK(k.shell.nhiPassword().data()[i] == 0);
}

TEST_CASE(
    "an anonymous filing goes from the form to the case number, with no card command on the way")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.type("form.agency", "測試市政府人事處");
    k.tap("form.identity.1");
    k.type("form.facts", "測試用的申訴內容。");
    k.tap("form.submit");
    REQUIRE(k.screen() == Screen::REVIEW);
    k.tap("review.confirm");
    CHECK(k.screen() == Screen::SUBMITTING);
    const auto stores = k.sent<StoreFiling>();
    REQUIRE(stores.size() == 1);
    CHECK(stores[0].filing.at("filer") == "anonymous");
    CHECK(stores[0].filing.at("createdAt") == "2026-11-23T10:00:00Z");
    CHECK(stores[0].filing.at("answers").at("identity") == "educator");
    CHECK(k.sent<ReadHealthCard>().empty());

    k.workerSays(FilingStored { "3f0c2a9e-0000-4000-8000-000000000001" });
    k.workerSays(FilingAccepted {
        "3f0c2a9e-0000-4000-8000-000000000001", "1151123-0001", "K7Q2M9X4P1R8T6W3" });
    CHECK(k.screen() == Screen::SUBMITTED);
    CHECK(k.shell.state().caseNumber == "1151123-0001");
    k.tap("submitted.done");
    CHECK(k.screen() == Screen::HOME);
}

TEST_CASE(
    "when central does not answer within the wait the kiosk shows the queued screen by itself")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.type("form.agency", "測試局");
    k.tap("form.identity.2");
    k.type("form.facts", "內容");
    k.tap("form.submit");
    k.tap("review.confirm");
    k.workerSays(FilingStored { "abcdef12-0000-4000-8000-000000000002" });
    // The shell's own timer fires; nothing else is posted.
    for (int i = 0; i < 100 && k.screen() != Screen::QUEUED; ++i)
        k.shell.waitForActivity(std::chrono::milliseconds(100));
    CHECK(k.screen() == Screen::QUEUED);
    k.shell.frame();
    CHECK(k.shell.ui().widgets.find("queued.done") != nullptr);
}

TEST_CASE("a screenshot is a real PNG of the rendered screen")
{
    Kiosk k;
    const auto file = std::filesystem::temp_directory_path() / "shensu-ui-test-home.png";
    std::string error;
    REQUIRE(k.shell.screenshot(file, error));
    std::ifstream in(file, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    CHECK(std::string(magic + 1, 3) == "PNG");
    CHECK(std::filesystem::file_size(file) > 10000); // text and tiles, not a blank frame
    std::filesystem::remove(file);
}

TEST_CASE("the first frame is drawn with the CJK atlas uploaded and its CPU copies released")
{
    Kiosk k;
    CHECK(k.shell.firstFrameMs() > 0);
    CHECK(ImGui::GetIO().Fonts->TexPixelsAlpha8 == nullptr);
    CHECK(ImGui::GetIO().Fonts->TexPixelsRGBA32 == nullptr);
}

TEST_CASE("a name with a character outside the preloaded glyphs is drawn after the atlas adds it")
{
    REQUIRE(ui::big5LevelOne().find("堃") == std::string::npos); // Big5 level 2: not preloaded
    REQUIRE(ui::big5LevelOne().find("林") != std::string::npos);
    Kiosk k;
    CHECK(k.shell.ui().fonts.title->FindGlyphNoFallback(0x5803) == nullptr);
    k.tap("home.health_card");
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    k.workerSays(HealthCardRead { READER, "林堃測" });
    k.shell.frame();
    CHECK(k.shell.ui().fonts.title->FindGlyphNoFallback(0x5803) != nullptr);
    CHECK(k.shell.ui().fonts.body->FindGlyphNoFallback(0x5803) != nullptr);
    CHECK(ImGui::GetIO().Fonts->TexPixelsRGBA32 == nullptr); // CPU copies released again
}

TEST_CASE("a finger dragged up on the form's text scrolls the fields, like a phone")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    const float before = k.widget("form.facts").y0;
    // Press on the form's intro text (not a widget), drag 200 px up, lift.
    ImGuiIO& io = ImGui::GetIO();
    const auto& agency = k.widget("form.agency");
    ImVec2 at(agency.centerX(), agency.y0 - 60); // the intro paragraph above the first field
    io.MousePos = at;
    k.shell.frame();
    io.MouseDown[0] = true;
    k.shell.frame();
    for (int i = 0; i < 10; ++i) {
        at.y -= 20;
        io.MousePos = at;
        k.shell.frame();
    }
    io.MouseDown[0] = false;
    k.shell.frame();
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    k.shell.frame();
    CHECK(k.widget("form.facts").y0 < before - 100);
    CHECK(k.screen() == Screen::FORM);
    CHECK(k.shell.state().answers.empty()); // nothing was tapped on the way
}

TEST_CASE("a form file with multiple choices and a repeatable group (the MOL form) is drawn and "
          "answered by tapping")
{
    Kiosk k([](State& s) {
        s.form = std::make_shared<const Form>(
            loadForm(SHENSU_ASSETS_DIR "/forms/mol-wbrs-enterprise.stage1.v1.json"));
    });
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("form.respondents.0.forms.verbal");
    k.tap("form.respondents.0.forms.digital");
    CHECK(k.shell.state().answers.at("respondents.0.forms") == "verbal,digital");
    k.tap("form.respondents.0.forms.verbal"); // a second tap takes it back
    CHECK(k.shell.state().answers.at("respondents.0.forms") == "digital");
    k.tap("form.respondents.0.patterns.other");
    k.shell.frame();
    k.type("form.respondents.0.patterns_other", "其他行為");
    CHECK(k.shell.state().answers.at("respondents.0.patterns_other") == "其他行為");
    CHECK(k.shell.ui().widgets.find("form.respondents.1.name") == nullptr);
    k.tap("form.respondents.add");
    k.type("form.respondents.1.name", "第二位");
    CHECK(k.shell.state().answers.at("respondents.1.name") == "第二位");
    k.tap("form.respondents.remove");
    CHECK(k.shell.state().answers.count("respondents.1.name") == 0);
    k.type("form.received_date", "115/02/30");
    k.tap("form.submit");
    CHECK(k.screen() == Screen::FORM);
    bool dateIssue = false;
    for (const auto& i : k.shell.state().issues)
        dateIssue
            = dateIssue || (i.field == "received_date" && i.messageKey == "validation.date_roc");
    CHECK(dateIssue);
}

TEST_CASE("tapping an answer on the review screen opens the form at that field, ready to type")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.type("form.agency", "測試市政府人事處");
    k.tap("form.identity.civil_servant");
    k.type("form.facts", "測試用的申訴內容。");
    k.tap("form.submit");
    REQUIRE(k.screen() == Screen::REVIEW);
    for (const char* id : { "review.answer.agency", "review.answer.identity", "review.answer.phone",
             "review.answer.facts" }) {
        INFO(id);
        CHECK(k.widget(id).height() >= 44);
    }
    k.tap("review.answer.phone");
    REQUIRE(k.screen() == Screen::FORM);
    k.shell.frame(); // ImGui applies a focus request on the frame after it is made
    k.shell.frame();
    CHECK(ImGui::GetIO().WantTextInput); // the phone field has the keyboard focus
    CHECK(k.shell.ui().keyboard.target == "phone");
    CHECK(k.widget("form.phone").visible);
    ImGui::GetIO().AddInputCharactersUTF8("02-23979298");
    k.shell.frame();
    k.shell.frame();
    CHECK(k.shell.state().answers.at("phone") == "02-23979298");
}

namespace
{
// Home -> 自然人憑證登入 with a citizen card in the reader and its tries read: the PIN pad.
void toPinPad(Kiosk& k, int triesLeft = 3)
{
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    k.tap("home.citizen_cert");
    REQUIRE(k.screen() == Screen::READING_CARD);
    k.workerSays(CitizenCardReady { READER, triesLeft, false });
}
} // namespace

TEST_CASE("PIN pad digits go into the shell's locked PIN, never into the State or an Event")
{
    Kiosk k;
    std::vector<std::string> seen;
    k.shell.setObserver([&](const State&, const State&, const Event& e) {
        seen.emplace_back(eventName(e));
        // Only counts and touches: no event carries a digit.
        if (const auto* c = std::get_if<ConfirmPin>(&e)) CHECK(c->digits == 6);
    });
    toPinPad(k);
    REQUIRE(k.screen() == Screen::PIN_ENTRY);
    for (const char d : std::string("1234567"))
        k.tap(std::string("pin.digit.") + d);
    CHECK(k.shell.pinPad().size() == 7);
    CHECK(k.shell.pinPad().isLocked());
    k.tap("pin.backspace");
    CHECK(k.shell.pinPad().size() == 6);
    CHECK(std::string(reinterpret_cast<const char*>(k.shell.pinPad().data()), 6) == "123456");
    // Nothing from the pad in the state a screen, the log or a test could read.
    const State& s = k.shell.state();
    for (const auto& [field, value] : s.answers)
        CHECK(value.find("123456") == std::string::npos);
    k.tap("pin.confirm");
    CHECK(k.screen() == Screen::CARD_LOGIN);
    CHECK(k.sent<RequestLoginChallenge>().size() == 1);
    CHECK(std::count(seen.begin(), seen.end(), std::string("PinPadTouched")) == 8);
}

TEST_CASE("the PIN pad holds at most 8 digits, clear empties it, and leaving the pad wipes it")
{
    Kiosk k;
    toPinPad(k);
    for (int i = 0; i < 10; ++i)
        k.tap("pin.digit.9");
    CHECK(k.shell.pinPad().size() == 8);
    k.tap("pin.clear");
    CHECK(k.shell.pinPad().empty());
    k.tap("pin.digit.5");
    k.tap("pin.cancel"); // ForgetPin
    CHECK(k.screen() == Screen::HOME);
    CHECK(k.shell.pinPad().empty());
    CHECK(k.sent<ForgetPin>().size() == 1);
}

TEST_CASE("a shuffled PIN pad still taps by digit, its keys are large, and each new pad is "
          "freshly laid out")
{
    State initial = initialState(
        std::make_shared<const Form>(loadForm(SHENSU_ASSETS_DIR "/forms/dgpa-complaint.v1.json")),
        "KIOSK-TEST-01", Language::ZH_TW);
    initial.pinPadShuffle = true;
    Shell shell(DisplayOptions { .headless = true, .width = 1280, .height = 800 },
        Catalogue::load(SHENSU_ASSETS_DIR "/i18n"), initial);
    shell.setCommandSink([](const Command&) {});
    shell.frame();
    shell.queue().post(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    shell.pump();
    shell.frame();
    std::string error;
    REQUIRE(shell.tap("home.citizen_cert", error));
    shell.queue().post(CitizenCardReady { READER, 3, false });
    shell.pump();
    shell.frame();
    REQUIRE(shell.state().screen == Screen::PIN_ENTRY);
    std::set<std::string> layouts;
    layouts.insert(std::string(shell.ui().pinLayout.begin(), shell.ui().pinLayout.end()));
    for (const char d : std::string("2580"))
        REQUIRE(shell.tap(std::string("pin.digit.") + d, error));
    CHECK(std::string(reinterpret_cast<const char*>(shell.pinPad().data()), 4) == "2580");
    for (char d = '0'; d <= '9'; ++d) {
        const auto* r = shell.ui().widgets.find(std::string("pin.digit.") + d);
        REQUIRE(r != nullptr);
        CHECK(r->height() >= 72);
        CHECK(r->width() >= 120);
    }
    // Five new pads (wrong PINs): the layouts differ (the chance of five equal shuffles is nil).
    for (int i = 0; i < 5; ++i) {
        for (const char d : std::string("654321"))
            REQUIRE(shell.tap(std::string("pin.digit.") + d, error));
        REQUIRE(shell.tap("pin.confirm", error));
        shell.queue().post(LoginChallengeReady { "c", "n" });
        shell.queue().post(PinRejected { READER, 2, false });
        shell.pump();
        shell.frame();
        REQUIRE(shell.state().screen == Screen::PIN_ENTRY);
        CHECK(shell.pinPad().empty());
        layouts.insert(std::string(shell.ui().pinLayout.begin(), shell.ui().pinLayout.end()));
    }
    CHECK(layouts.size() > 1);
}

TEST_CASE("every screen of the citizen-certificate login has the language toggle and large buttons")
{
    Kiosk k;
    toPinPad(k, 1);
    REQUIRE(k.screen() == Screen::PIN_LAST_ATTEMPT);
    CHECK(k.widget("pin_last_attempt.continue").height() >= 44);
    CHECK(k.widget("common.language").height() >= 44);
    k.tap("pin_last_attempt.continue");
    REQUIRE(k.screen() == Screen::PIN_ENTRY);
    for (const auto& id : k.shell.ui().widgets.ids()) {
        INFO(id);
        CHECK(k.widget(id).height() >= 44);
    }
    k.tap("pin.confirm"); // no digits: stays, with the length message
    CHECK(k.screen() == Screen::PIN_ENTRY);
    CHECK(k.shell.state().pinMessageKey == "pin.length");
    k.tap("pin.cancel");
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    k.tap("home.citizen_cert");
    k.workerSays(CitizenCardReady { READER, 0, true });
    REQUIRE(k.screen() == Screen::CARD_BLOCKED);
    CHECK(k.widget("card_blocked.home").height() >= 44);
    CHECK(k.shell.ui().widgets.find("pin.confirm") == nullptr);
}

TEST_CASE("with a PIN-pad reader the screen shows no digit keys and says to type on the reader "
          "within its timeout")
{
    Kiosk k;
    k.workerSays(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    k.tap("home.citizen_cert");
    k.workerSays(CitizenCardReady { READER, 3, false, true });
    REQUIRE(k.screen() == Screen::PIN_ENTRY);
    CHECK(k.shell.ui().widgets.find("pin.digit.1") == nullptr);
    CHECK(k.widget("pin.confirm").height() >= 44);
    k.tap("pin.confirm");
    CHECK(k.screen() == Screen::CARD_LOGIN);
    k.workerSays(LoginChallengeReady { "c-1", "bm9uY2U=" });
    REQUIRE(k.sent<LoginWithCitizenCard>().size() == 1);
    CHECK(k.sent<LoginWithCitizenCard>()[0].onReaderPinPad);
    CHECK(k.shell.pinPad().empty());
}
