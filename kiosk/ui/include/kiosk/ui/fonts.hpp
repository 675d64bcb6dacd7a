// Noto Sans CJK TC at the kiosk's sizes, with glyph ranges built from what can appear on screen.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct ImFont;
struct ImFontAtlas;

namespace shensu::kiosk::ui
{

struct FontOptions {
    std::filesystem::path file = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    int faceIndex = 3; // 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
    float bodySize = 24.0f;
    float titleSize = 38.0f;
    float receiptSize = 56.0f; // case number and verification code
    float largeScale = 4.0f / 3.0f; // "larger text": body 32 px, title ~51 px
};

struct Fonts {
    ImFont* body = nullptr;
    ImFont* title = nullptr;
    ImFont* receipt = nullptr;
};

// The text every screen can show: catalogue strings and the form's strings (UTF-8), used for the
// big sizes. The body size also gets Big5 level 1 (5,401 common characters, decoded with iconv),
// Bopomofo, punctuation and fullwidth forms, so whatever a person types in Chinese renders.
class FontLoader
{
public:
    FontLoader(FontOptions options, std::vector<std::string> uiTexts);
    ~FontLoader();
    FontLoader(const FontLoader&) = delete;
    FontLoader& operator=(const FontLoader&) = delete;

    // Adds the fonts to the atlas (not yet built); throws std::runtime_error when the font file is
    // missing.
    Fonts addTo(ImFontAtlas& atlas);
    // After the renderer uploaded the atlas texture: drop the CPU copies (pixels, TTC file,
    // ranges). ~-95 MiB.
    void releaseAfterUpload(ImFontAtlas& atlas);

    // Writes RGBA pixels (rows of w * 4 bytes) into the uploaded atlas texture at (x, y); false
    // when it cannot (then the atlas is rebuilt instead).
    using TextureWriter = std::function<bool(int x, int y, int w, int h, const std::uint8_t* rgba)>;
    enum class Added {
        NOTHING, // nothing was missing, or only characters the font itself lacks (drawn as '?')
        IN_PLACE, // rasterised into the texture's spare rows through `write`: nothing to re-upload
        REBUILT, // the atlas was rebuilt: re-upload the texture, then call releaseAfterUpload()
    };
    // Between frames: if a character of `bodyTexts` (typed text) is missing from the body size, or
    // one of `titleTexts` (a name read from a card) from the big sizes, add it to the body and
    // title sizes: into the uploaded texture's spare rows when there is room (a few ms), else by
    // rebuilding the atlas (~170 ms of CPU). A character the font itself lacks is tried once only.
    Added coverMissing(ImFontAtlas& atlas, Fonts& fonts, const std::vector<std::string>& bodyTexts,
        const std::vector<std::string>& titleTexts, const TextureWriter& write = {});

    std::size_t bodyGlyphCount() const;

    // When a session ends: drop the characters coverMissing() added or tried (they came from
    // someone's name or complaint) and, with `rebuild`, rebuild the atlas without them, so the
    // next person's kiosk is a fresh one. True = rebuilt: re-upload as after coverMissing().
    // Without `rebuild` the next rescale() or coverMissing() rebuild leaves them out.
    bool forgetAdded(ImFontAtlas& atlas, Fonts& fonts, bool rebuild = true);
    bool hasAdded() const;

    // Display density (pixels per logical pixel, 1 = a 1280x800 panel): every size is baked this
    // much bigger and drawn with io.FontGlobalScale = 1 / scale, so text stays sharp. Call before
    // addTo().
    void setDpiScale(float scale);

    // Larger text (the home screen's setting): every size times `scale` (1 = normal). Rebuilds the
    // atlas like coverMissing(); the caller re-uploads it. False when the scale did not change.
    bool rescale(ImFontAtlas& atlas, Fonts& fonts, float scale);

    // A directory where the base atlas (catalogue, form and Big5 level-1 characters, no character
    // a session added) is kept once built, one file per text size: pixels, glyphs and ImGui's own
    // rectangles, keyed by the font file's contents, the face, the sizes, the display scale, the
    // glyph ranges and ImGui's version. build() and every base rebuild (larger text, a session's
    // end) load it instead of rasterising ~6,100 glyphs again (~150 ms of CPU). Empty: no cache.
    void setCacheDir(std::filesystem::path dir);
    // Builds the atlas addTo() filled: from the cache when its key matches, else by rasterising
    // (and, for the base atlas, writing the cache). True when it came from the cache.
    bool build(ImFontAtlas& atlas);
    // How many builds came from the cache (tests).
    int cacheLoads() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Big5 level-1 hanzi (0xA440..0xC67E) as UTF-8, decoded with glibc iconv; empty if iconv lacks
// BIG5.
std::string big5LevelOne();

} // namespace shensu::kiosk::ui
