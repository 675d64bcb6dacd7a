// Text a person brings that the kiosk did not plan for: a rare character (added to the font atlas,
// drawn, and forgotten when the session ends), a physical keyboard's system IME (its composition
// drawn at the caret, the IME window placed there), and the receipt's QR code read back by zbarimg.
#include "kiosk/ui/fonts.hpp"
#include "ui_fixture.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include <SDL.h>
#include <imgui.h>
#include <unistd.h>

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;
using namespace shensu::kiosk::test;

namespace
{

// 犇 (U+7287): Big5 level 2, in Noto Sans CJK TC, in no catalogue or form string.
constexpr const char* RARE = "犇";
constexpr ImWchar RARE_CODE = 0x7287;

void openForm(Kiosk& k)
{
    k.tap("home.anonymous");
    k.tap("anonymous_info.continue");
    REQUIRE(k.screen() == Screen::FORM);
}

std::string answer(const Kiosk& k, const std::string& id)
{
    const auto it = k.shell.state().answers.find(id);
    return it == k.shell.state().answers.end() ? std::string {} : it->second;
}

std::vector<std::uint8_t> region(const std::vector<std::uint8_t>& rgba, const ui::WidgetRect& r)
{
    std::vector<std::uint8_t> out;
    for (int y = static_cast<int>(r.y0); y < static_cast<int>(r.y1); ++y) {
        for (int x = static_cast<int>(r.x0); x < static_cast<int>(r.x1); ++x) {
            const auto i = (static_cast<std::size_t>(y) * 1280 + static_cast<std::size_t>(x)) * 4;
            out.insert(out.end(), rgba.begin() + static_cast<std::ptrdiff_t>(i),
                rgba.begin() + static_cast<std::ptrdiff_t>(i + 3));
        }
    }
    return out;
}

bool inAtlas(Kiosk& k, ImWchar c)
{
    return k.shell.ui().fonts.body->FindGlyphNoFallback(c) != nullptr;
}

void imeEvent(Kiosk& k, Uint32 type, const std::string& text, int cursor = 0)
{
    SDL_Event e {};
    e.type = type;
    if (type == SDL_TEXTEDITING) {
        std::strncpy(e.edit.text, text.c_str(), sizeof e.edit.text - 1);
        e.edit.start = cursor;
    } else {
        std::strncpy(e.text.text, text.c_str(), sizeof e.text.text - 1);
    }
    k.shell.handleEvent(e);
    k.shell.frame();
    k.shell.frame();
}

} // namespace

TEST_CASE("a rare character typed on a physical keyboard is added to the atlas and drawn, not as "
          "'?', until the session ends")
{
    REQUIRE(ui::big5LevelOne().find(RARE) == std::string::npos);
    // What a missing glyph looks like: ImGui draws its fallback, '?', with '?''s advance.
    std::vector<std::uint8_t> questionMark;
    std::vector<std::uint8_t> freshHome;
    ui::WidgetRect field;
    {
        Kiosk fresh;
        freshHome = fresh.pixels();
    }
    {
        Kiosk k;
        openForm(k);
        k.type("form.agency", "?");
        field = k.widget("form.agency");
        questionMark = region(k.pixels(), field);
    }
    Kiosk k;
    openForm(k);
    REQUIRE_FALSE(inAtlas(k, RARE_CODE)); // not in the base atlas
    k.type("form.agency", RARE);
    REQUIRE(answer(k, "agency") == RARE);
    CHECK(inAtlas(k, RARE_CODE));
    CHECK(k.shell.lastAtlasRebuildMs() > 0);
    CHECK(ImGui::GetIO().Fonts->TexPixelsRGBA32 == nullptr); // CPU copies released again
    CHECK(region(k.pixels(), field) != questionMark); // drawn, not as '?'

    // The session ends: the next person's kiosk has the base atlas again.
    k.tap("common.finish");
    k.tap("session.end");
    REQUIRE(k.screen() == Screen::HOME);
    k.shell.frame();
    CHECK_FALSE(inAtlas(k, RARE_CODE));
    CHECK(inAtlas(k, 0x6797)); // 林: the base characters are still there
    CHECK(k.pixels() == freshHome);
}

TEST_CASE("a character added into the texture's free space looks exactly as after a whole rebuild")
{
    Kiosk k;
    openForm(k);
    k.type("form.agency", std::string("林") + RARE + "測");
    REQUIRE(inAtlas(k, RARE_CODE));
    // It went into the texture's free space: the path this test is about.
    REQUIRE(k.shell.atlasAdditions().inPlace == 1);
    REQUIRE(k.shell.atlasAdditions().rebuilt == 0);
    const auto field = k.widget("form.agency");
    const auto inPlace = region(k.pixels(), field);
    // Large text and back: the atlas is rebuilt twice, the second time at normal size with the
    // added character packed by ImGui's own build.
    k.shell.dispatch(SetDisplay { true, false });
    k.shell.frame();
    k.shell.dispatch(SetDisplay { false, false });
    k.shell.frame();
    REQUIRE(inAtlas(k, RARE_CODE));
    CHECK(region(k.pixels(), field) == inPlace);
}

namespace
{

std::string fileBytes(const std::filesystem::path& file)
{
    std::string out;
    if (FILE* f = std::fopen(file.c_str(), "rb")) {
        char buf[65536];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
            out.append(buf, n);
        std::fclose(f);
    }
    return out;
}

// Home, home in large text, then the form with the Zhuyin keyboard and its candidates: what each
// atlas (normal and large text) draws.
std::vector<std::vector<std::uint8_t>> drawnScreens(Kiosk& k)
{
    std::vector<std::vector<std::uint8_t>> out { k.pixels() };
    k.shell.dispatch(SetDisplay { true, false });
    k.shell.frame();
    out.push_back(k.pixels());
    k.shell.dispatch(SetDisplay { false, false });
    k.shell.frame();
    openForm(k);
    k.tap("form.facts");
    k.tap("kb.mode.zhuyin");
    k.tap("kb.ㄊ");
    out.push_back(k.pixels());
    return out;
}

} // namespace

TEST_CASE("a font atlas loaded from its cache draws the very pixels of one rasterised, a damaged "
          "cache is built again, no session's character is ever written to it")
{
    const auto dir = std::filesystem::temp_directory_path()
        / ("shensu-atlas-cache-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup()
        {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup { dir };
    const DisplayOptions cached {
        .headless = true, .width = 1280, .height = 800, .fontCacheDir = dir
    };
    const auto normal = dir / "font-atlas-100.bin";
    const auto large = dir / "font-atlas-133.bin";

    std::vector<std::vector<std::uint8_t>> rasterised;
    {
        Kiosk k; // no cache: ImGui's own build, every time
        rasterised = drawnScreens(k);
    }
    std::string written;
    {
        Kiosk cold({}, cached);
        CHECK(cold.shell.fontCacheLoads() == 0);
        written = fileBytes(normal);
        REQUIRE(written.size() > 1024 * 4096); // the 1024 x 4096 alpha texture and the glyphs
        CHECK(cold.pixels() == rasterised[0]);
    }
    {
        Kiosk warm({}, cached); // normal text from the cache; large text built, then cached
        CHECK(drawnScreens(warm) == rasterised);
        CHECK(warm.shell.fontCacheLoads() == 2); // the start, and back to normal text
        CHECK(std::filesystem::exists(large));
    }
    {
        // A rare character is added during a session; at its end the base atlas comes back from
        // the cache, which never held the character.
        Kiosk k({}, cached);
        openForm(k);
        k.type("form.agency", RARE);
        REQUIRE(inAtlas(k, RARE_CODE));
        k.tap("common.finish");
        k.tap("session.end");
        REQUIRE(k.screen() == Screen::HOME);
        k.shell.frame();
        CHECK_FALSE(inAtlas(k, RARE_CODE));
        CHECK(k.shell.fontCacheLoads() == 2); // the start, and the session's end
        CHECK(fileBytes(normal) == written);
        CHECK(k.pixels() == rasterised[0]);
    }
    {
        // One byte of the texture flipped (a cut file fails the same checksum): built again and
        // rewritten.
        std::string damaged = written;
        damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x40);
        if (FILE* f = std::fopen(normal.c_str(), "wb")) {
            std::fwrite(damaged.data(), 1, damaged.size(), f);
            std::fclose(f);
        }
        Kiosk k({}, cached);
        CHECK(k.shell.fontCacheLoads() == 0);
        CHECK(k.pixels() == rasterised[0]);
        CHECK(fileBytes(normal) == written);
    }
}

TEST_CASE("a character the font itself lacks adds nothing to the atlas (and counts as nothing)")
{
    Kiosk k;
    openForm(k);
    k.type("form.agency", "ሀ"); // U+1200, Ethiopic: not in Noto Sans CJK TC
    REQUIRE(answer(k, "agency") == "ሀ");
    CHECK_FALSE(inAtlas(k, 0x1200));
    CHECK(k.shell.atlasAdditions().inPlace == 0);
    CHECK(k.shell.atlasAdditions().rebuilt == 0);
}

TEST_CASE("a composition whose field is no longer drawn is not drawn at the top-left corner")
{
    Kiosk k;
    openForm(k);
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity", "worker" });
    k.type("form.facts", "測試用的申訴內容。");
    imeEvent(k, SDL_TEXTEDITING, "ㄊㄞˊ", 3);
    REQUIRE(k.shell.ui().ime.drawn.visible);
    // The form goes (the field is still ImGui's active item for one frame, with no caret drawn).
    k.shell.dispatch(ReviewForm {});
    REQUIRE(k.screen() == Screen::REVIEW);
    k.shell.frame();
    const auto drawn = k.shell.ui().ime.drawn;
    INFO("composition drawn at " << drawn.x0 << ", " << drawn.y0);
    CHECK_FALSE(drawn.visible);
    CHECK_FALSE(k.shell.textInputRect().visible);
}

TEST_CASE("a system IME's composition is drawn at the caret and its window placed there, the "
          "commit goes into the field")
{
    Kiosk k;
    openForm(k);
    k.type("form.facts", "主管");
    REQUIRE(answer(k, "facts") == "主管");
    const auto field = k.widget("form.facts");
    const auto before = k.pixels();
    const auto caret = k.shell.textInputRect();
    REQUIRE(caret.visible); // a field is being edited: SDL_SetTextInputRect got its caret
    CHECK(caret.x0 > field.x0);
    CHECK(caret.x0 < field.x1);
    CHECK(caret.y0 >= field.y0);
    CHECK(caret.y1 <= field.y1);

    // IBus/Fcitx composing 臺 from Zhuyin: SDL_TEXTEDITING, the cursor after the three symbols.
    imeEvent(k, SDL_TEXTEDITING, "ㄊㄞˊ", 3);
    const auto drawn = k.shell.ui().ime.drawn;
    REQUIRE(drawn.visible);
    CHECK(drawn.x0 == Approx(caret.x0 + 2).margin(2)); // at the caret, inside the field
    CHECK(drawn.y0 >= field.y0);
    CHECK(drawn.y1 <= field.y1 + 4);
    CHECK(drawn.width() > 40); // three symbols wide
    const auto composed = k.pixels();
    CHECK(region(composed, drawn) != region(before, drawn));
    CHECK(answer(k, "facts") == "主管"); // a composition is not text yet
    CHECK(k.shell.textInputRect().x0 == caret.x0); // the IME window stays at the caret

    // The IME commits: the text goes in, the composition is gone, the caret (and the IME window)
    // moves on.
    imeEvent(k, SDL_TEXTINPUT, "臺");
    CHECK(answer(k, "facts") == "主管臺");
    CHECK(k.shell.ui().ime.text.empty());
    CHECK_FALSE(k.shell.ui().ime.drawn.visible);
    CHECK(k.shell.textInputRect().x0 > caret.x0 + 10);

    // A composition with a character the atlas lacks: added before it is drawn.
    REQUIRE_FALSE(inAtlas(k, RARE_CODE));
    imeEvent(k, SDL_TEXTEDITING, RARE, 1);
    CHECK(inAtlas(k, RARE_CODE));
    // Cancelled by the IME (an empty composition): nothing drawn, nothing typed.
    imeEvent(k, SDL_TEXTEDITING, "", 0);
    CHECK_FALSE(k.shell.ui().ime.drawn.visible);
    CHECK(answer(k, "facts") == "主管臺");
}

TEST_CASE("the receipt's QR code, read from the screenshot by zbarimg, holds the case number and "
          "the verification code")
{
    Kiosk k;
    k.shell.dispatch(ChooseAnonymous {});
    k.shell.dispatch(ConfirmAnonymous {});
    k.shell.dispatch(EditField { "agency", "測試市政府人事處" });
    k.shell.dispatch(EditField { "identity", "worker" });
    k.shell.dispatch(EditField { "phone", "02-23979298" });
    k.shell.dispatch(EditField { "facts", "測試用的申訴內容：主管於會議中多次以言語羞辱。" });
    k.shell.dispatch(ReviewForm {});
    k.shell.dispatch(ConfirmFiling {});
    k.shell.dispatch(FilingStored { "0f1e2d3c-0000-4000-8000-000000000002" });
    k.shell.dispatch(FilingAccepted {
        "0f1e2d3c-0000-4000-8000-000000000002", "1131123-0042", "4821093756120384" });
    REQUIRE(k.screen() == Screen::SUBMITTED);
    const auto png = std::filesystem::temp_directory_path()
        / ("shensu-receipt-" + std::to_string(getpid()) + ".png");
    std::string error;
    INFO(error);
    REQUIRE(k.shell.screenshot(png, error));
    // zbarimg (zbar-tools, scripts/install-deps) decodes what a phone camera would.
    FILE* p = popen(("zbarimg --quiet --raw '" + png.string() + "' 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::string decoded;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr)
        decoded += buf;
    const int status = pclose(p);
    std::filesystem::remove(png);
    INFO("zbarimg said: " << decoded);
    CHECK(status == 0);
    CHECK(decoded.find("1131123-0042") != std::string::npos);
    CHECK(decoded.find("4821093756120384") != std::string::npos);
    CHECK(decoded.find("案件號碼") != std::string::npos); // the zh-TW wording, decoded as UTF-8
}
