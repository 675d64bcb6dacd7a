// Golden screenshots: every screen, in zh-TW and English, with normal and large text, rendered
// headless (SDL's software renderer, no display) and compared pixel for pixel with the PNGs under
// tests/kiosk/golden/. SHENSU_UPDATE_GOLDEN=1 (scripts/update-kiosk-goldens) rewrites them. On a
// difference the frame is written to <build>/tests/kiosk/golden-actual/ for inspection.
//
// Tolerance: none. The images depend on the exact FreeType/stb_truetype, SDL and font versions of
// Debian bookworm; after an upgrade of those packages, regenerate and review the diff.
#include "kiosk/app/png.hpp"
#include "ui_fixture.hpp"

#include <cstdlib>
#include <filesystem>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;

namespace
{

constexpr const char* READER = "Virtual PCD 00 00";

struct Variant {
    Language language;
    bool large;
    std::string name() const
    {
        return std::string(languageTag(language)) + (large ? ".large" : ".normal");
    }
};

bool updating()
{
    const char* v = std::getenv("SHENSU_UPDATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

// Compares (or, when updating, writes) one golden image.
void golden(Kiosk& k, const std::string& screen, const Variant& v)
{
    const std::string file = screen + "." + v.name() + ".png";
    const auto pixels = k.pixels();
    std::string error;
    const std::filesystem::path expected = std::filesystem::path(SHENSU_GOLDEN_DIR) / file;
    if (updating()) {
        std::filesystem::create_directories(expected.parent_path());
        INFO(error);
        REQUIRE(writePng(expected, 1280, 800, pixels, PngStyle::COMPACT_RGB, error));
        return;
    }
    int w = 0;
    int h = 0;
    std::vector<std::uint8_t> want;
    INFO(file << ": " << error << " (run scripts/update-kiosk-goldens to create it)");
    REQUIRE(readPng(expected, w, h, want, error));
    REQUIRE(w == 1280);
    REQUIRE(h == 800);
    std::size_t differing = 0;
    for (std::size_t i = 0; i + 3 < want.size(); i += 4) {
        if (want[i] != pixels[i] || want[i + 1] != pixels[i + 1] || want[i + 2] != pixels[i + 2])
            ++differing;
    }
    if (differing != 0) {
        const std::filesystem::path actual = std::filesystem::path(SHENSU_GOLDEN_ACTUAL_DIR) / file;
        std::filesystem::create_directories(actual.parent_path());
        writePng(actual, 1280, 800, pixels, PngStyle::COMPACT_RGB, error);
        INFO("differs from the golden image; this frame: " << actual.string());
        CHECK(differing == 0);
    }
}

void choose(Kiosk& k, const Variant& v)
{
    k.shell.dispatch(SetLanguage { v.language });
    k.shell.dispatch(SetDisplay { v.large, false });
}

void fillForm(Kiosk& k)
{
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity", "other" });
    k.shell.dispatch(EditField { "identity_other", "實習生" });
    k.shell.dispatch(EditField { "phone", "02-23979298" });
    k.shell.dispatch(EditField { "facts", "測試用的申訴內容：主管於會議中多次以言語羞辱。" });
}

void allScreens(const Variant& v)
{
    Kiosk k;
    choose(k, v);
    golden(k, "home", v);

    k.shell.dispatch(ChooseHealthCard {});
    golden(k, "insert_card", v);
    k.shell.dispatch(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    golden(k, "reading_card", v);
    k.shell.dispatch(CardReadFailed { shensu::cardio::CardErrorCode::UNEXPECTED_RESPONSE });
    golden(k, "card_error", v);
    k.shell.dispatch(RetryCard {});
    // The health card's registration password: three characters typed (masked), the last-attempt
    // warning after a wrong one, the locked screen, then a login central accepts.
    k.shell.dispatch(HealthCardRead { READER, "林測試", "000012345678" });
    k.shell.dispatch(NhiStatusAnswered {
        "ok", 3, k.shell.state().nhiStatusGeneration }); // central's count before any password
    for (const char* key : { "kb.shift", "kb.A", "kb.b", "kb.1" })
        k.tap(key);
    golden(k, "nhi_password", v);
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(
        NhiLoginAnswered { "wrong_password", 1, {}, {}, {}, k.shell.state().nhiLoginGeneration });
    golden(k, "nhi_last_attempt", v);
    k.tap("nhi_last_attempt.continue");
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(
        NhiLoginAnswered { "locked", 0, {}, {}, {}, k.shell.state().nhiLoginGeneration });
    golden(k, "nhi_locked", v);
    k.shell.dispatch(GoHome {});
    choose(k, v);
    k.shell.dispatch(ChooseHealthCard {});
    k.shell.dispatch(HealthCardRead { READER, "林測試", "000012345678" });
    k.shell.dispatch(NhiStatusAnswered { "ok", 3, k.shell.state().nhiStatusGeneration });
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(NhiLoginAnswered {
        "ok", 0, "林測試", "測試市政府人事處", {}, k.shell.state().nhiLoginGeneration });
    golden(k, "card_read", v);
    k.shell.dispatch(GoHome {});

    // The citizen-certificate login: the PIN pad (two digits typed, masked), the last-attempt
    // warning, the card and central at work, a blocked card, and one of central's refusals.
    choose(k, v);
    k.shell.dispatch(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 3, false });
    k.tap("pin.digit.1");
    k.tap("pin.digit.2");
    golden(k, "pin_entry", v);
    k.tap("pin.cancel");
    choose(k, v);
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 1, false });
    golden(k, "pin_last_attempt", v);
    k.tap("pin_last_attempt.continue");
    for (const char* d : { "pin.digit.1", "pin.digit.2", "pin.digit.3", "pin.digit.4",
             "pin.digit.5", "pin.digit.6" })
        k.tap(d);
    k.tap("pin.confirm");
    golden(k, "card_login", v);
    // Central's challenge, the card's signature, then central's refusal (only a login that
    // reached central can be refused).
    k.shell.dispatch(LoginChallengeReady { "c-1", "bm9uY2U=" });
    k.shell.dispatch(CitizenCardSigned { READER, "DER", "SIG" });
    k.shell.dispatch(CardLoginRefused { "departed" });
    REQUIRE(k.screen() == Screen::LOGIN_REFUSED);
    golden(k, "login_refused", v);
    k.shell.dispatch(GoHome {});
    choose(k, v);
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 0, true });
    golden(k, "card_blocked", v);
    k.shell.dispatch(GoHome {});
    k.shell.dispatch(CardRemoved { READER });

    choose(k, v);
    k.shell.dispatch(ChooseAnonymous {});
    golden(k, "anonymous_info", v);
    k.shell.dispatch(ConfirmAnonymous {});
    fillForm(k);
    golden(k, "form", v);
    k.tap("form.facts"); // the on-screen keyboard comes up
    k.tap("kb.ㄊ");
    golden(k, "form_keyboard", v);
    k.tap("kb.backspace");
    k.tap("kb.hide");
    k.shell.dispatch(ReviewForm {});
    golden(k, "review", v);
    k.shell.dispatch(TimerExpired { TimerId::SESSION_IDLE, k.shell.state().idleGeneration });
    golden(k, "countdown", v);
    k.shell.dispatch(ContinueSession {});
    k.shell.dispatch(ConfirmFiling {});
    golden(k, "submitting", v);
    k.shell.dispatch(FilingStoreFailed { "test" });
    golden(k, "submit_error", v);
    k.shell.dispatch(RetrySubmit {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored { "6fec7818-0000-4000-8000-000000000001" });
    k.shell.dispatch(FilingDeferred { "6fec7818-0000-4000-8000-000000000001", "test" });
    golden(k, "queued", v);
    k.shell.dispatch(GoHome {});

    // Sealed offline with a case number leased from central: final, shown with its code.
    choose(k, v);
    k.shell.dispatch(ChooseAnonymous {});
    k.shell.dispatch(ConfirmAnonymous {});
    fillForm(k);
    k.shell.dispatch(ReviewForm {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored {
        "7a8b9c0d-0000-4000-8000-000000000003", "1131123-0043", "5920384716253841" });
    k.shell.dispatch(FilingDeferred { "7a8b9c0d-0000-4000-8000-000000000003", "test" });
    golden(k, "queued_leased", v);
    k.shell.dispatch(GoHome {});

    choose(k, v);
    k.shell.dispatch(ChooseAnonymous {});
    k.shell.dispatch(ConfirmAnonymous {});
    fillForm(k);
    k.shell.dispatch(ReviewForm {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored { "0f1e2d3c-0000-4000-8000-000000000002" });
    k.shell.dispatch(FilingAccepted {
        "0f1e2d3c-0000-4000-8000-000000000002", "1131123-0042", "4821093756120384" });
    golden(k, "submitted", v);
    k.shell.dispatch(AskEndSession {});

    // The case query: the keypads with a typo told, central at work, the status.
    choose(k, v);
    k.shell.dispatch(ChooseCaseQuery {});
    for (const char d : std::string("11311230042"))
        k.shell.dispatch(QueryKey { QueryField::CASE_NUMBER, d });
    for (const char d : std::string("4821093756120385"))
        k.shell.dispatch(QueryKey { QueryField::CODE, d });
    k.shell.dispatch(SubmitQuery {});
    golden(k, "case_query", v);
    k.shell.dispatch(QueryKey { QueryField::CODE, '<' });
    k.shell.dispatch(QueryKey { QueryField::CODE, '6' }); // 4821093756120386: check digit 6
    k.shell.dispatch(SubmitQuery {});
    golden(k, "case_querying", v);
    k.shell.dispatch(CaseQueryAnswered { k.shell.state().queryGeneration, CaseQueryResult::FOUND,
        { "1131123-0042", "forwarded", "已轉交權責機關", "2024-11-25T01:30:00Z",
            "2024-11-23T02:51:00Z", "2024-11-26", "2024-12-23", 1 },
        0 });
    golden(k, "case_status", v);
    k.shell.dispatch(GoHome {});
}

} // namespace

TEST_CASE("golden screenshots: every screen, zh-TW, normal text")
{
    allScreens({ Language::ZH_TW, false });
}

TEST_CASE("golden screenshots: every screen, zh-TW, large text")
{
    allScreens({ Language::ZH_TW, true });
}

TEST_CASE("golden screenshots: every screen, English, normal text")
{
    allScreens({ Language::EN, false });
}

TEST_CASE("golden screenshots: every screen, English, large text")
{
    allScreens({ Language::EN, true });
}

TEST_CASE("golden screenshots: the high-contrast theme, home and form")
{
    const Variant v { Language::ZH_TW, false };
    Kiosk k;
    k.shell.dispatch(SetDisplay { false, true });
    golden(k, "home.high_contrast", v);
    k.shell.dispatch(SetDisplay { false, true });
    k.shell.dispatch(ChooseAnonymous {});
    k.shell.dispatch(ConfirmAnonymous {});
    fillForm(k);
    golden(k, "form.high_contrast", v);
}
