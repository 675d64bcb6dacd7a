// The on-screen keyboard, tapped key by key like a finger: Zhuyin through libchewing with a
// candidate chosen, symbols, English, backspace; keys are touch-sized and none stays highlighted.
#include "kiosk/ui/zhuyin.hpp"
#include "ui_fixture.hpp"

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;

namespace
{

Kiosk& onFacts(Kiosk& k)
{
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("form.facts");
    REQUIRE(k.shell.ui().keyboard.target == "facts");
    return k;
}

// Taps the Zhuyin keys of a 大千 key sequence ("5j3" = ㄓㄨˇ); ' ' is the space (first tone) key.
void zhuyin(Kiosk& k, const std::string& keys)
{
    for (const char c : keys) {
        if (c == ' ') {
            k.tap("kb.space");
            continue;
        }
        const char* symbol = ui::dachenSymbol(c);
        INFO("key " << c);
        REQUIRE(symbol != nullptr);
        k.tap(std::string("kb.") + symbol);
    }
}

std::string facts(const Kiosk& k)
{
    const auto it = k.shell.state().answers.find("facts");
    return it == k.shell.state().answers.end() ? std::string {} : it->second;
}

} // namespace

TEST_CASE("a whole Traditional Chinese sentence typed on the on-screen Zhuyin keyboard, with a "
          "candidate chosen, reaches the facts field")
{
    Kiosk k;
    onFacts(k);
    zhuyin(k, "w96j0 "); // ㄊㄞˊ ㄨㄢ — the pre-edit reads 台灣
    REQUIRE(k.shell.ui().keyboard.zhuyin->preedit() == "台灣");
    CHECK(k.widget("kb.candidate.0").height() >= 44);
    k.tap("kb.candidate.1"); // 臺灣
    CHECK(facts(k) == "臺灣");
    zhuyin(k, "2k75j3ej03y94cjo4u45j/ vu. bj3ji3"); // 的主管在會議中羞辱我
    CHECK(facts(k) == "臺灣"); // still composing
    k.tap("kb.enter");
    k.tap("kb.mode.symbols");
    k.tap("kb.。");
    CHECK(facts(k) == "臺灣的主管在會議中羞辱我。");
    CHECK(remainingCharacters(k.shell.state(), "facts") == 1000 - 13);
}

TEST_CASE("English letters, digits, shift and backspace on the on-screen keyboard")
{
    Kiosk k;
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    k.tap("form.email");
    REQUIRE(k.shell.ui().keyboard.target == "email");
    k.tap("kb.mode.english");
    k.tap("kb.shift");
    for (const char* id : { "kb.A", "kb.b", "kb.1", "kb.@", "kb.x", "kb..", "kb.t", "kb.w" })
        k.tap(id);
    k.tap("kb.backspace");
    CHECK(k.shell.state().answers.at("email") == "Ab1@x.t");
    // Zhuyin backspace removes a symbol being composed, not the field's text.
    k.tap("kb.mode.zhuyin");
    k.tap("kb.ㄅ");
    k.tap("kb.backspace");
    CHECK(k.shell.state().answers.at("email") == "Ab1@x.t");
    CHECK_FALSE(k.shell.ui().keyboard.zhuyin->composing());
}

TEST_CASE("every key is a touch target of at least 44 × 44 px at 1280 × 800")
{
    Kiosk k;
    onFacts(k);
    for (const char* mode : { "kb.mode.zhuyin", "kb.mode.english", "kb.mode.symbols" }) {
        k.tap(mode);
        int keys = 0;
        for (const auto& id : k.shell.ui().widgets.ids()) {
            if (id.rfind("kb.", 0) != 0) continue;
            INFO(mode << " " << id);
            CHECK(k.widget(id).height() >= 44);
            CHECK(k.widget(id).width() >= 44);
            CHECK(k.widget(id).visible);
            ++keys;
        }
        CHECK(keys >= 40);
    }
}

TEST_CASE("no key stays highlighted after the finger lifts")
{
    Kiosk k;
    onFacts(k);
    const auto before = k.pixels();
    const auto rect = k.widget("kb.ㄅ");
    k.tap("kb.ㄅ");
    k.tap("kb.backspace"); // the pre-edit row back as it was
    const auto after = k.pixels();
    // Compare the key's own pixels, before and after.
    int differing = 0;
    for (int y = static_cast<int>(rect.y0); y < static_cast<int>(rect.y1); ++y) {
        for (int x = static_cast<int>(rect.x0); x < static_cast<int>(rect.x1); ++x) {
            const auto i = (static_cast<std::size_t>(y) * 1280 + static_cast<std::size_t>(x)) * 4;
            if (before[i] != after[i] || before[i + 1] != after[i + 1]
                || before[i + 2] != after[i + 2])
                ++differing;
        }
    }
    CHECK(differing == 0);
}

TEST_CASE("the end of a session deletes the Zhuyin engine: no pre-edit survives")
{
    Kiosk k;
    onFacts(k);
    zhuyin(k, "w96j0 ");
    REQUIRE(k.shell.ui().keyboard.zhuyin->composing());
    k.tap("common.finish");
    CHECK(k.screen() == Screen::HOME);
    CHECK(k.shell.ui().keyboard.zhuyin == nullptr); // the next session gets a new context
    CHECK(k.shell.ui().keyboard.target.empty());
}

TEST_CASE("a physical keyboard still types into the field the on-screen keyboard targets")
{
    Kiosk k;
    onFacts(k);
    k.type("form.facts", "實體鍵盤輸入");
    CHECK(facts(k) == "實體鍵盤輸入");
}
