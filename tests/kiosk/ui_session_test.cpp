// Nothing of one person is left for the next: after a session ends (finished or timed out) the
// core's state holds none of what was typed, ImGui's edit buffers are overwritten, and the home
// screen is pixel-identical to a fresh kiosk's.
#include "ui_fixture.hpp"

#include <imgui.h>
#include <imgui_internal.h>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;

namespace
{

// Distinctive text, typed into three fields.
constexpr const char* AGENCY = "銀杏測試局第七科";
constexpr const char* OTHER = "臨時約聘X9Q";
constexpr const char* FACTS = "獨特字串：紫色長頸鹿在三樓會議室咆哮ZQX-4417";

void shortClocks(State& s)
{
    s.sessionIdle = std::chrono::milliseconds(1500);
    s.sessionWarning = std::chrono::milliseconds(1000); // one tick of countdown
    s.noticeShown = std::chrono::milliseconds(300);
}

// Every string the core's state holds, joined.
std::string everyString(const State& s)
{
    std::string all = s.cardHolderName + s.sessionReader + s.caseNumber + s.verificationCode
        + s.filingId + s.noticeKey + s.cardErrorKey;
    for (const auto& [id, value] : s.answers)
        all += id + value;
    for (const auto& i : s.issues) {
        all += i.field + i.messageKey;
        for (const auto& [k, v] : i.params)
            all += k + v;
    }
    for (const auto& a : s.earlyAnswers)
        all += a.filingId + a.caseNumber + a.verificationCode;
    return all;
}

// What ImGui keeps of the text being edited: its UTF-16 copy, UTF-8 copies, the undo buffer.
bool imguiHolds(const std::string& needle)
{
    const ImGuiInputTextState& edit = GImGui->InputTextState;
    std::string copies(edit.TextA.Data, edit.TextA.Data + edit.TextA.Size);
    copies.append(edit.InitialTextA.Data, edit.InitialTextA.Data + edit.InitialTextA.Size);
    std::string wide;
    for (int i = 0; i < edit.TextW.Size; ++i) {
        char buf[8];
        const int n
            = ImTextStrToUtf8(buf, sizeof buf, &edit.TextW.Data[i], &edit.TextW.Data[i] + 1);
        wide.append(buf, static_cast<std::size_t>(n));
    }
    return copies.find(needle) != std::string::npos || wide.find(needle) != std::string::npos
        || edit.Stb.undostate.undo_point != 0;
}

void fillASession(Kiosk& k)
{
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.type("form.agency", AGENCY);
    k.tap("form.identity.other");
    k.shell.frame();
    k.type("form.identity_other", OTHER);
    k.type("form.facts", FACTS);
    k.tap("form.submit");
    REQUIRE(k.screen() == Screen::REVIEW);
    k.tap("review.answer.agency"); // back to the form, that field focused (ImGui copies it)
    REQUIRE(k.screen() == Screen::FORM);
    k.shell.frame();
    REQUIRE(k.shell.state().answers.at("facts") == FACTS);
    // The precondition that makes the checks below mean something: ImGui holds its own copy.
    REQUIRE(imguiHolds(AGENCY));
}

void checkNothingLeft(Kiosk& k)
{
    const std::string all = everyString(k.shell.state());
    for (const char* typed : { AGENCY, OTHER, FACTS, "紫色長頸鹿", "ZQX-4417" }) {
        INFO(typed);
        CHECK(all.find(typed) == std::string::npos);
        CHECK_FALSE(imguiHolds(typed));
    }
    CHECK(k.shell.state().answers.empty());
    CHECK(k.shell.state().filer == Filer::NONE);
    CHECK(k.shell.ui().editing.empty());
}

std::vector<std::uint8_t> freshHome()
{
    Kiosk fresh(shortClocks);
    return fresh.pixels();
}

} // namespace

TEST_CASE("after 結束, nothing typed is left and home looks exactly like a fresh kiosk's")
{
    const auto expected = freshHome();
    Kiosk k(shortClocks);
    fillASession(k);
    k.tap("common.finish");
    REQUIRE(k.shell.state().confirmingEnd); // answers would be lost: asked first
    k.tap("session.end");
    REQUIRE(k.screen() == Screen::HOME);
    checkNothingLeft(k);
    const auto shown = k.pixels();
    REQUIRE(shown.size() == expected.size());
    CHECK(shown == expected);
}

TEST_CASE("after the idle timeout (with its countdown), nothing typed is left and home looks "
          "exactly like a fresh kiosk's")
{
    const auto expected = freshHome();
    Kiosk k(shortClocks);
    fillASession(k);
    // Real time passes: the countdown panel shows, then the session ends.
    REQUIRE(k.runUntil([](const State& s) { return s.idleCountdown > 0; }));
    CHECK(k.shell.ui().widgets.find("session.continue") != nullptr);
    CHECK(k.shell.ui().widgets.find("form.submit") == nullptr); // covered by the panel
    REQUIRE(k.runUntil([](const State& s) { return s.screen == Screen::HOME; }));
    CHECK(k.shell.state().noticeKey == "home.session_timed_out");
    checkNothingLeft(k);
    // The notice goes after a while; then the screen is the fresh one.
    REQUIRE(k.runUntil([](const State& s) { return s.noticeKey.empty(); }));
    const auto shown = k.pixels();
    REQUIRE(shown.size() == expected.size());
    CHECK(shown == expected);
}

TEST_CASE("繼續作業 on the countdown keeps everything typed")
{
    Kiosk k(shortClocks);
    fillASession(k);
    REQUIRE(k.runUntil([](const State& s) { return s.idleCountdown > 0; }));
    k.tap("session.continue");
    CHECK(k.shell.state().idleCountdown == 0);
    CHECK(k.screen() == Screen::FORM);
    CHECK(k.shell.state().answers.at("facts") == FACTS);
}

TEST_CASE("the countdown panel says how many seconds are left, at least 20 by default")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.shell.dispatch(TimerExpired { TimerId::SESSION_IDLE, k.shell.state().idleGeneration });
    k.shell.frame();
    CHECK(k.shell.state().idleCountdown == 20);
    CHECK(k.widget("session.continue").height() >= 44);
    CHECK(k.widget("session.end").height() >= 44);
}

TEST_CASE("結束 is on every screen of a session")
{
    Kiosk k;
    CHECK(k.shell.ui().widgets.find("common.finish") == nullptr); // not on home
    k.tap("home.anonymous");
    CHECK(k.widget("common.finish").height() >= 44);
    k.tap("anonymous_info.continue");
    CHECK(k.widget("common.finish").height() >= 44);
    k.tap("common.finish"); // nothing typed yet: ends at once
    CHECK(k.screen() == Screen::HOME);
    k.tap("home.health_card");
    CHECK(k.widget("common.finish").height() >= 44);
}
