// Touch: fingers through the shell's own SDL event path (SDL_FINGERDOWN/MOTION/UP, as the window
// loop gets them), drag-to-scroll that never presses what it started on, no key left highlighted
// after a finger lifts, no mouse cursor, and touch targets of at least 44 × 44 px at 1280 × 800,
// scaled with the display's density, on every screen, scrollbars included.
#include "ui_fixture.hpp"

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <functional>

#include <SDL.h>
#include <imgui.h>
#include <imgui_internal.h> // the form's scrolling child window and its scrollbar

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;
using namespace shensu::kiosk::test;

namespace
{

constexpr const char* READER = "Virtual PCD 00 00";

// One finger, in logical pixels (SDL gives fingers normalised to the window).
struct Finger {
    Kiosk& k;
    SDL_FingerID id = 7;
    void send(Uint32 type, ImVec2 at)
    {
        const ImGuiIO& io = ImGui::GetIO();
        SDL_Event e {};
        e.type = type;
        e.tfinger.touchId = 1;
        e.tfinger.fingerId = id;
        e.tfinger.x = at.x / io.DisplaySize.x;
        e.tfinger.y = at.y / io.DisplaySize.y;
        e.tfinger.pressure = 1.0f;
        k.shell.handleEvent(e);
    }
    void down(ImVec2 at)
    {
        send(SDL_FINGERDOWN, at);
        k.shell.frame();
    }
    void move(ImVec2 at)
    {
        send(SDL_FINGERMOTION, at);
        k.shell.frame();
    }
    void up(ImVec2 at)
    {
        send(SDL_FINGERUP, at);
        k.shell.frame();
    }
    // Down, `steps` moves of `dy` each, up: a swipe.
    void drag(ImVec2 from, float dy, int steps)
    {
        down(from);
        for (int i = 1; i <= steps; ++i)
            move(ImVec2(from.x, from.y + dy * static_cast<float>(i)));
        up(ImVec2(from.x, from.y + dy * static_cast<float>(steps)));
        k.shell.frame();
    }
};

void openForm(Kiosk& k)
{
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    REQUIRE(k.screen() == Screen::FORM);
}

// The form's scrolling area (a child window "fields" of the kiosk's window), as last drawn.
ImGuiWindow* formFields()
{
    ImGuiWindow* found = nullptr;
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
        if (std::string(w->Name).find("/fields_") != std::string::npos
            && (found == nullptr || w->LastFrameActive > found->LastFrameActive))
            found = w;
    }
    return found;
}

// Pixels of a rectangle (logical coordinates) in a frame of the given width, times `scale`.
std::vector<std::uint8_t> region(
    const std::vector<std::uint8_t>& rgba, int width, const ui::WidgetRect& r, float scale = 1.0f)
{
    std::vector<std::uint8_t> out;
    for (int y = static_cast<int>(r.y0 * scale); y < static_cast<int>(r.y1 * scale); ++y) {
        for (int x = static_cast<int>(r.x0 * scale); x < static_cast<int>(r.x1 * scale); ++x) {
            const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width)
                               + static_cast<std::size_t>(x))
                * 4;
            out.insert(out.end(), rgba.begin() + static_cast<std::ptrdiff_t>(i),
                rgba.begin() + static_cast<std::ptrdiff_t>(i + 3));
        }
    }
    return out;
}

// Every screen of the kiosk, in the order the golden screenshots visit them; `check` runs on each.
void everyScreen(Kiosk& k, const std::function<void(const std::string&)>& check)
{
    check("home");
    k.shell.dispatch(ChooseHealthCard {});
    check("insert_card");
    k.shell.dispatch(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    check("reading_card");
    k.shell.dispatch(CardReadFailed { shensu::cardio::CardErrorCode::UNEXPECTED_RESPONSE });
    check("card_error");
    k.shell.dispatch(RetryCard {});
    // The health card's registration password, its last attempt, the locked card.
    k.shell.dispatch(HealthCardRead { READER, "林測試", "000012345678" });
    k.shell.dispatch(NhiStatusAnswered { "ok", 3, k.shell.state().nhiStatusGeneration });
    REQUIRE(k.screen() == Screen::NHI_PASSWORD);
    check("nhi_password");
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(
        NhiLoginAnswered { "wrong_password", 1, {}, {}, {}, k.shell.state().nhiLoginGeneration });
    REQUIRE(k.screen() == Screen::NHI_LAST_ATTEMPT);
    check("nhi_last_attempt");
    k.tap("nhi_last_attempt.continue");
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(
        NhiLoginAnswered { "locked", 0, {}, {}, {}, k.shell.state().nhiLoginGeneration });
    REQUIRE(k.screen() == Screen::NHI_LOCKED);
    check("nhi_locked");
    k.shell.dispatch(GoHome {});
    k.shell.dispatch(ChooseHealthCard {});
    k.shell.dispatch(HealthCardRead { READER, "林測試", "000012345678" });
    k.shell.dispatch(NhiStatusAnswered { "ok", 3, k.shell.state().nhiStatusGeneration });
    k.shell.dispatch(ConfirmNhiPassword { 6 });
    k.shell.dispatch(NhiLoginAnswered {
        "ok", 0, "林測試", "測試市政府人事處", {}, k.shell.state().nhiLoginGeneration });
    REQUIRE(k.screen() == Screen::CARD_READ);
    check("card_read");
    k.shell.dispatch(GoHome {});

    k.shell.dispatch(CardInserted { READER, shensu::cardio::CardKind::CITIZEN_CARD });
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 3, false });
    check("pin_entry");
    k.tap("pin.cancel");
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 1, false });
    check("pin_last_attempt");
    k.tap("pin_last_attempt.continue");
    for (const char* d : { "pin.digit.1", "pin.digit.2", "pin.digit.3", "pin.digit.4",
             "pin.digit.5", "pin.digit.6" })
        k.tap(d);
    k.tap("pin.confirm");
    check("card_login");
    // Central's challenge, the card's signature, then central's refusal (only a login that
    // reached central can be refused).
    k.shell.dispatch(LoginChallengeReady { "c-1", "bm9uY2U=" });
    k.shell.dispatch(CitizenCardSigned { READER, "DER", "SIG" });
    k.shell.dispatch(CardLoginRefused { "departed" });
    REQUIRE(k.screen() == Screen::LOGIN_REFUSED);
    check("login_refused");
    k.shell.dispatch(GoHome {});
    k.shell.dispatch(ChooseCitizenCertificate {});
    k.shell.dispatch(CitizenCardReady { READER, 0, true });
    check("card_blocked");
    k.shell.dispatch(GoHome {});
    k.shell.dispatch(CardRemoved { READER });

    k.shell.dispatch(ChooseAnonymous {});
    check("anonymous_info");
    k.shell.dispatch(ConfirmAnonymous {});
    k.shell.dispatch(EditField { "identity", "other" });
    check("form");
    k.tap("form.facts");
    for (const char* mode : { "kb.mode.zhuyin", "kb.mode.english", "kb.mode.symbols" }) {
        k.tap(mode);
        check(std::string("form keyboard ") + mode);
    }
    k.tap("kb.mode.zhuyin");
    k.tap("kb.ㄊ");
    check("form keyboard with candidates");
    k.tap("kb.backspace");
    k.tap("kb.hide");
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity_other", "實習生" });
    k.shell.dispatch(EditField { "facts", "測試用的申訴內容。" });
    k.shell.dispatch(ReviewForm {});
    check("review");
    k.shell.dispatch(TimerExpired { TimerId::SESSION_IDLE, k.shell.state().idleGeneration });
    check("countdown");
    k.shell.dispatch(ContinueSession {});
    k.shell.dispatch(AskEndSession {});
    check("end question");
    k.shell.dispatch(ContinueSession {});
    k.shell.dispatch(ConfirmFiling {});
    check("submitting");
    k.shell.dispatch(FilingStoreFailed { "test" });
    check("submit_error");
    k.shell.dispatch(RetrySubmit {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored { "6fec7818-0000-4000-8000-000000000001" });
    k.shell.dispatch(FilingDeferred { "6fec7818-0000-4000-8000-000000000001", "test" });
    check("queued");
    k.shell.dispatch(GoHome {});
    k.shell.dispatch(ChooseAnonymous {});
    k.shell.dispatch(ConfirmAnonymous {});
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity", "worker" });
    k.shell.dispatch(EditField { "facts", "測試用的申訴內容。" });
    k.shell.dispatch(ReviewForm {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored { "0f1e2d3c-0000-4000-8000-000000000002" });
    k.shell.dispatch(FilingAccepted {
        "0f1e2d3c-0000-4000-8000-000000000002", "1131123-0042", "4821093756120384" });
    check("submitted");
    k.shell.dispatch(AskEndSession {});

    // The progress query: the keypads, central at work, the status.
    REQUIRE(k.screen() == Screen::HOME);
    k.shell.dispatch(ChooseCaseQuery {});
    for (const char d : std::string("11311230042"))
        k.shell.dispatch(QueryKey { QueryField::CASE_NUMBER, d });
    for (const char d : std::string("4821093756120386")) // its check digit: 6
        k.shell.dispatch(QueryKey { QueryField::CODE, d });
    REQUIRE(k.screen() == Screen::CASE_QUERY);
    check("case_query");
    k.shell.dispatch(SubmitQuery {});
    REQUIRE(k.screen() == Screen::CASE_QUERYING);
    check("case_querying");
    k.shell.dispatch(CaseQueryAnswered { k.shell.state().queryGeneration, CaseQueryResult::FOUND,
        { "1131123-0042", "forwarded", "已轉交權責機關", "2024-11-25T01:30:00Z",
            "2024-11-23T02:51:00Z", "2024-11-26", "2024-12-23", 1 },
        0 });
    REQUIRE(k.screen() == Screen::CASE_STATUS);
    check("case_status");
}

// Every scrollbar ImGui drew in the last frame (any window or child window of any screen): the bar
// at least 44 px wide and tall, its thumb at least 44 px tall, as ImGui sizes it (ScrollbarEx:
// the bar's height times the visible part of the content, at least GrabMinSize). Returns how many.
int checkScrollbars(float scale)
{
    const ImGuiStyle& style = ImGui::GetStyle();
    int measured = 0;
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
        if (!w->Active || w->Hidden) continue;
        for (const ImGuiAxis axis : { ImGuiAxis_X, ImGuiAxis_Y }) {
            if (!(axis == ImGuiAxis_Y ? w->ScrollbarY : w->ScrollbarX)) continue;
            const ImRect bar = ImGui::GetWindowScrollbarRect(w, axis);
            const float across = axis == ImGuiAxis_Y ? bar.GetWidth() : bar.GetHeight();
            const float along = axis == ImGuiAxis_Y ? bar.GetHeight() : bar.GetWidth();
            const float visible
                = axis == ImGuiAxis_Y ? w->InnerRect.GetHeight() : w->InnerRect.GetWidth();
            const float content = (axis == ImGuiAxis_Y ? w->ContentSize.y : w->ContentSize.x)
                + (axis == ImGuiAxis_Y ? w->WindowPadding.y : w->WindowPadding.x) * 2.0f;
            const float thumb = std::clamp(along * visible / std::max(content, 1.0f),
                std::min(style.GrabMinSize, along), along);
            INFO("scrollbar of " << w->Name << ": " << across * scale << " px across, "
                                 << along * scale << " px long, thumb " << thumb * scale
                                 << " px, at scale " << scale);
            CHECK(across * scale >= 44.0f * scale - 0.01f);
            CHECK(along * scale >= 44.0f * scale - 0.01f);
            CHECK(thumb * scale >= 44.0f * scale - 0.01f);
            ++measured;
        }
    }
    return measured;
}

struct Measured {
    int targets = 0;
    int scrollbars = 0;
};

// Every widget a finger can tap on every screen is at least 44 × 44 logical px, i.e. 44 × scale
// display pixels, and so is every scrollbar and its thumb.
Measured checkTargets(Kiosk& k, bool largeText = false)
{
    const float scale = k.shell.scale();
    Measured measured;
    everyScreen(k, [&](const std::string& screen) {
        // A session's end goes back to normal text: larger text is asked for again on each screen.
        if (largeText && !k.shell.state().largeText) k.shell.dispatch(SetDisplay { true, false });
        k.shell.frame();
        k.shell.frame();
        const auto ids = k.shell.ui().widgets.ids();
        INFO("screen " << screen);
        CHECK_FALSE(ids.empty());
        for (const auto& id : ids) {
            const auto& r = k.widget(id);
            INFO(id << ": " << r.width() * scale << " x " << r.height() * scale
                    << " display px at scale " << scale);
            CHECK(r.width() * scale >= 44.0f * scale - 0.01f);
            CHECK(r.height() * scale >= 44.0f * scale - 0.01f);
            ++measured.targets;
        }
        measured.scrollbars += checkScrollbars(scale);
        // No target lies under another (a key hidden behind the footer cannot be tapped).
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto& a = k.widget(ids[i]);
            if (!a.visible) continue;
            for (std::size_t j = i + 1; j < ids.size(); ++j) {
                const auto& b = k.widget(ids[j]);
                if (b.visible && a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1
                    && b.y0 < a.y1 - 1)
                    FAIL_CHECK(ids[i] << " and " << ids[j] << " overlap");
            }
        }
    });
    return measured;
}

} // namespace

TEST_CASE("a finger dragged on a choice scrolls the form and does not choose it")
{
    Kiosk k;
    openForm(k);
    k.shell.ui().scrollTo = "form.identity.0"; // the choices in the middle of the screen
    k.shell.frame();
    k.shell.frame();
    const auto chip = k.widget("form.identity.0");
    REQUIRE(chip.visible);
    const float factsBefore = k.widget("form.facts").y0;
    Finger finger { k };
    finger.drag(ImVec2(chip.centerX(), chip.centerY()), -25.0f, 10);
    CHECK(k.widget("form.facts").y0 < factsBefore - 150);
    CHECK(k.screen() == Screen::FORM);
    CHECK(k.shell.state().answers.count("identity") == 0); // the chip under the finger: not chosen

    // The same finger tapping (no travel) does choose it: the drag was what kept it unchosen.
    k.shell.ui().scrollTo = "form.identity.0";
    k.shell.frame();
    k.shell.frame();
    const auto again = k.widget("form.identity.0");
    REQUIRE(again.visible);
    finger.down(ImVec2(again.centerX(), again.centerY()));
    finger.up(ImVec2(again.centerX() + 3, again.centerY() + 2)); // a finger wobbles a little
    k.shell.frame();
    CHECK(k.shell.state().answers.count("identity") == 1);
}

TEST_CASE("a finger dragged on a text field scrolls the form and opens no keyboard")
{
    Kiosk k;
    openForm(k);
    const auto field = k.widget("form.agency");
    REQUIRE(field.visible);
    const float factsBefore = k.widget("form.facts").y0;
    Finger finger { k };
    finger.drag(ImVec2(field.centerX(), field.centerY()), -20.0f, 10);
    CHECK(k.widget("form.facts").y0 < factsBefore - 120);
    CHECK(k.shell.ui().keyboard.target.empty());
    CHECK_FALSE(ImGui::GetIO().WantTextInput);
}

TEST_CASE("a finger dragged on the review's answers scrolls them and opens no answer")
{
    Kiosk k;
    openForm(k);
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity", "worker" });
    std::string longFacts;
    for (int i = 0; i < 30; ++i)
        longFacts += "第" + std::to_string(i) + "行：主管於會議中以言語羞辱。\n";
    k.shell.dispatch(EditField { "facts", longFacts });
    k.shell.dispatch(ReviewForm {});
    k.shell.frame();
    REQUIRE(k.screen() == Screen::REVIEW);
    const auto confirm = k.widget("review.confirm");
    std::string first;
    for (const auto& id : k.shell.ui().widgets.ids()) {
        if (id.rfind("review.answer.", 0) == 0 && k.widget(id).visible) {
            first = id;
            break;
        }
    }
    REQUIRE_FALSE(first.empty());
    const auto answer = k.widget(first);
    const float before = answer.y0;
    Finger finger { k };
    finger.drag(ImVec2(answer.centerX(), answer.centerY()), -20.0f, 10);
    CHECK(k.screen() == Screen::REVIEW); // the answer under the finger did not open the form
    CHECK(k.widget(first).y0 < before - 100);
    CHECK(k.widget("review.confirm").y0 == confirm.y0); // the footer stays put
}

TEST_CASE("after a finger presses and lifts on a key, the next frame shows the key as idle")
{
    Kiosk k;
    openForm(k);
    k.tap("form.facts");
    k.tap("kb.mode.english");
    const auto key = k.widget("kb.q");
    const auto idle = region(k.pixels(), 1280, key);
    Finger finger { k };
    finger.down(ImVec2(key.centerX(), key.centerY()));
    // While the finger is down the key is drawn pressed: the comparison below can fail.
    CHECK(region(k.pixels(), 1280, key) != idle);
    finger.up(ImVec2(key.centerX(), key.centerY())); // the release frame: the key types "q"
    CHECK(k.shell.state().answers.at("facts") == "q");
    CHECK(region(k.pixels(), 1280, key) == idle); // the next frame: not hovered, not pressed
}

TEST_CASE("two taps that come before the next frame both type their key")
{
    Kiosk k;
    openForm(k);
    k.tap("form.facts");
    k.tap("kb.mode.english");
    const auto q = k.widget("kb.q");
    const auto w = k.widget("kb.w");
    const ImVec2 atQ(q.centerX(), q.centerY());
    const ImVec2 atW(w.centerX(), w.centerY());
    Finger one { k, 7 };
    Finger two { k, 8 };
    SECTION("one finger taps twice between frames")
    {
        one.send(SDL_FINGERDOWN, atQ);
        one.send(SDL_FINGERUP, atQ);
        one.send(SDL_FINGERDOWN, atW);
        one.send(SDL_FINGERUP, atW);
    }
    SECTION("a second finger lands before the first lifts")
    {
        one.send(SDL_FINGERDOWN, atQ);
        two.send(SDL_FINGERDOWN, atW); // the first finger lets go here
        one.send(SDL_FINGERUP, atQ); // it no longer drives the pointer
        two.send(SDL_FINGERUP, atW);
    }
    for (int i = 0; i < 6; ++i)
        k.shell.frame();
    CHECK(k.shell.state().answers.at("facts") == "qw");
    // and afterwards nothing stays pressed or hovered
    k.shell.frame();
    CHECK_FALSE(ImGui::IsAnyItemHovered());
    CHECK_FALSE(ImGui::IsAnyItemActive());
}

TEST_CASE("a quick flick on a choice (moved and lifted within one frame) does not choose it")
{
    Kiosk k;
    openForm(k);
    k.shell.ui().scrollTo = "form.identity.0";
    k.shell.frame();
    k.shell.frame();
    const auto chip = k.widget("form.identity.0");
    REQUIRE(chip.visible);
    Finger finger { k };
    finger.down(ImVec2(chip.centerX(), chip.centerY()));
    finger.send(SDL_FINGERMOTION, ImVec2(chip.centerX(), chip.centerY() - 20.0f));
    finger.send(SDL_FINGERUP, ImVec2(chip.centerX(), chip.centerY() - 20.0f));
    for (int i = 0; i < 4; ++i)
        k.shell.frame();
    CHECK(k.shell.state().answers.count("identity") == 0);
}

TEST_CASE("a finger that wobbles 10 px while tapping a text field opens the keyboard for it")
{
    Kiosk k;
    openForm(k);
    const auto field = k.widget("form.agency");
    Finger finger { k };
    finger.down(ImVec2(field.centerX(), field.centerY()));
    finger.move(ImVec2(field.centerX() + 10.0f, field.centerY()));
    finger.up(ImVec2(field.centerX() + 10.0f, field.centerY()));
    k.shell.frame();
    k.shell.frame();
    CHECK(k.shell.ui().keyboard.target == "agency");
    CHECK(ImGui::GetIO().WantTextInput);
}

TEST_CASE("the scrollbar's thumb dragged down scrolls the form down all the way it is dragged")
{
    Kiosk k;
    openForm(k);
    k.shell.frame(); // the form's second frame: its content measured, its scrollbar drawn
    ImGuiWindow* fields = formFields();
    REQUIRE(fields != nullptr);
    REQUIRE(fields->ScrollMax.y > 200.0f);
    REQUIRE(fields->Scroll.y == 0.0f);
    const ImRect bar = ImGui::GetWindowScrollbarRect(fields, ImGuiAxis_Y);
    const ImVec2 thumb(bar.GetCenter().x, bar.Min.y + 20.0f); // the thumb is at the top
    Finger finger { k };
    finger.down(thumb);
    float last = fields->Scroll.y;
    for (int i = 1; i <= 10; ++i) {
        finger.move(ImVec2(thumb.x, thumb.y + 10.0f * static_cast<float>(i)));
        INFO("after " << 10 * i << " px");
        CHECK(fields->Scroll.y >= last); // never back up
        last = fields->Scroll.y;
    }
    finger.up(ImVec2(thumb.x, thumb.y + 100.0f));
    k.shell.frame();
    CHECK(fields->Scroll.y > 100.0f); // the thumb moved 100 px over a longer content
}

TEST_CASE("a finger dragged on the facts field's wrapped view scrolls the form and edits nothing")
{
    Kiosk k;
    openForm(k);
    k.shell.ui().scrollTo = "form.facts";
    k.shell.frame();
    k.shell.frame();
    ImGuiWindow* fields = formFields();
    REQUIRE(fields != nullptr);
    REQUIRE(fields->Scroll.y > 100.0f);
    const auto facts = k.widget("form.facts");
    REQUIRE(facts.visible);
    Finger finger { k };
    finger.drag(ImVec2(facts.centerX(), facts.centerY()), 10.0f, 10); // down: back towards the top
    CHECK(k.widget("form.facts").y0 > facts.y0 + 60.0f);
    CHECK(k.shell.ui().editing.empty());
    CHECK(k.shell.ui().keyboard.target.empty());
}

TEST_CASE("the kiosk shows no mouse cursor, also after ImGui's frames")
{
    // A real SDL window (the dummy video driver under ctest), with ImGui's SDL backend, which
    // would turn the system cursor back on in every frame.
    State s = testState({});
    Shell shell(DisplayOptions { .windowed = true, .software = true, .width = 640, .height = 400 },
        catalogueFor(s), s);
    for (int i = 0; i < 3; ++i)
        shell.frame();
    CHECK(SDL_ShowCursor(SDL_QUERY) == SDL_DISABLE);
}

TEST_CASE("every touch target on every screen is at least 44 x 44 px at 1280 x 800 (scale 1)")
{
    Kiosk k;
    REQUIRE(k.shell.scale() == 1.0f);
    const Measured m = checkTargets(k);
    CHECK(m.targets > 300);
    CHECK(m.scrollbars >= 5); // the form's, on each of its screens above, at least
}

TEST_CASE("with larger text every touch target on every screen is still at least 44 x 44 px, and "
          "none is hidden under another")
{
    Kiosk k;
    const Measured m = checkTargets(k, true);
    CHECK(m.targets > 300);
}

// A scrollbar is a target too (it can be dragged), although a finger dragged anywhere on the
// content scrolls it as well (tests above).
TEST_CASE("the form's scrollbar is at least 44 px wide with a thumb at least 44 px tall, and a "
          "drag on the content scrolls the same way")
{
    Kiosk k;
    openForm(k);
    k.shell.frame(); // the form's second frame: its content measured, its scrollbar drawn
    ImGuiWindow* fields = formFields();
    REQUIRE(fields != nullptr);
    REQUIRE(fields->ScrollMax.y > 0.0f);
    const ImRect bar = ImGui::GetWindowScrollbarRect(fields, ImGuiAxis_Y);
    CHECK(bar.GetWidth() >= 44.0f);
    CHECK(ImGui::GetStyle().ScrollbarSize >= 44.0f);
    CHECK(ImGui::GetStyle().GrabMinSize >= 44.0f);
    const auto agency = k.widget("form.agency");
    Finger finger { k };
    finger.drag(ImVec2(agency.centerX(), agency.centerY()), -20.0f, 10);
    CHECK(fields->Scroll.y > 100.0f);
}

namespace
{

// How many display pixels in a line have the colour `colour` through (x, y), going in (dx, dy)
// both ways from there: a drawn shape's real extent.
int runThrough(const std::vector<std::uint8_t>& rgba, int width, int height, int x, int y, int dx,
    int dy, ImU32 colour)
{
    const auto at = [&](int px, int py) {
        if (px < 0 || py < 0 || px >= width || py >= height) return false;
        const auto i = (static_cast<std::size_t>(py) * static_cast<std::size_t>(width)
                           + static_cast<std::size_t>(px))
            * 4;
        for (int c = 0; c < 3; ++c) {
            const int want = static_cast<int>((colour >> (8 * c)) & 0xFF); // ImU32 is ABGR
            if (std::abs(static_cast<int>(rgba[i + static_cast<std::size_t>(c)]) - want) > 2)
                return false;
        }
        return true;
    };
    if (!at(x, y)) return 0;
    int n = 1;
    for (int i = 1; at(x + dx * i, y + dy * i); ++i)
        ++n;
    for (int i = 1; at(x - dx * i, y - dy * i); ++i)
        ++n;
    return n;
}

} // namespace

TEST_CASE("at scale 1.5 a button is drawn 1.5 times bigger where it is tapped: its pixels measure "
          "at least 66 px")
{
    Kiosk dense(
        {}, DisplayOptions { .headless = true, .width = 1920, .height = 1200, .scale = 1.5f });
    std::vector<std::uint8_t> rgba;
    int w = 0;
    int h = 0;
    std::string error;
    REQUIRE(dense.shell.capture(rgba, w, h, error));
    REQUIRE(w == 1920);
    REQUIRE(h == 1200);
    // The language toggle: 180 x 64 logical px, filled with the button colour (nothing hovered).
    const auto toggle = dense.widget("common.language");
    REQUIRE(toggle.height() == Approx(64.0f));
    const ImU32 fill = ImGui::GetColorU32(ImGuiCol_Button);
    // A column through its padding (no text) and a row above its label, in display pixels.
    const int column = static_cast<int>((toggle.x0 + 12.0f) * 1.5f);
    const int row = static_cast<int>((toggle.y0 + 10.0f) * 1.5f);
    const int tall
        = runThrough(rgba, w, h, column, static_cast<int>(toggle.centerY() * 1.5f), 0, 1, fill);
    const int wide
        = runThrough(rgba, w, h, static_cast<int>(toggle.centerX() * 1.5f), row, 1, 0, fill);
    INFO("toggle drawn " << wide << " x " << tall << " display px");
    CHECK(tall >= 66);
    // The 1 px frame border (1.5 px here, antialiased) takes up to 3 px on each side.
    CHECK(tall >= static_cast<int>(64.0f * 1.5f) - 6);
    CHECK(wide >= static_cast<int>(180.0f * 1.5f) - 6);
    CHECK(wide <= static_cast<int>(180.0f * 1.5f) + 2);
}

TEST_CASE("on a denser display (1920 x 1200, scale 1.5) every target is at least 66 x 66 px")
{
    std::vector<std::uint8_t> bigSample;
    ui::WidgetRect inside;
    {
        Kiosk dense(
            {}, DisplayOptions { .headless = true, .width = 1920, .height = 1200, .scale = 1.5f });
        REQUIRE(dense.shell.scale() == 1.5f);
        // The whole display is drawn, `scale` times bigger: the same logical point has the same
        // colour as on the 1280 x 800 kiosk, with glyphs baked 1.5 times bigger.
        const auto home = dense.widget("home.anonymous");
        inside = ui::WidgetRect { home.x0 + 6, home.y0 + 6, home.x0 + 12, home.y0 + 12, true };
        std::vector<std::uint8_t> big;
        int w = 0;
        int h = 0;
        std::string error;
        REQUIRE(dense.shell.capture(big, w, h, error));
        CHECK(w == 1920);
        CHECK(h == 1200);
        CHECK(ImGui::GetIO().Fonts->Fonts[0]->FontSize == Approx(24.0f * 1.5f));
        bigSample = region(big, 1920, inside, 1.5f);
        const Measured m = checkTargets(dense);
        CHECK(m.targets > 300);
        CHECK(m.scrollbars >= 5);
    }
    Kiosk normal; // one kiosk (one ImGui context) at a time
    const auto smallSample = region(normal.pixels(), 1280, inside, 1.0f);
    REQUIRE_FALSE(bigSample.empty());
    CHECK(bigSample[0] == smallSample[0]);
    CHECK(bigSample[1] == smallSample[1]);
    CHECK(bigSample[2] == smallSample[2]);
}

TEST_CASE("結束 is on every screen of a session but the one storing the filing, the countdown "
          "and the end question have their own 結束並清除")
{
    Kiosk k;
    everyScreen(k, [&](const std::string& screen) {
        k.shell.frame();
        INFO("screen " << screen << " (" << screenId(k.screen()) << ")");
        const auto& widgets = k.shell.ui().widgets;
        if (k.screen() == Screen::HOME || k.screen() == Screen::SUBMITTING) {
            // Home has no session; a filing being stored is never interrupted.
            CHECK(widgets.find("common.finish") == nullptr);
        } else if (screen == "countdown" || screen == "end question") {
            CHECK(widgets.find("session.end") != nullptr);
        } else {
            CHECK(widgets.find("common.finish") != nullptr);
        }
    });
}
