// Font atlas plan (ARCHITECTURE §8): one TC face, body size with the full custom range, big sizes
// with UI text only.
#include "kiosk/ui/fonts.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

#include <iconv.h>
#include <imgui.h>
#include <imgui_internal.h> // ImTextCharFromUtf8

namespace shensu::kiosk::ui
{

std::string big5LevelOne()
{
    iconv_t cd = iconv_open("UTF-8", "BIG5");
    if (cd == reinterpret_cast<iconv_t>(-1)) return {};
    std::string out;
    for (unsigned lead = 0xA4; lead <= 0xC6; ++lead) {
        for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
            if (trail > 0x7E && trail < 0xA1) continue; // not a Big5 trail byte
            if (lead == 0xC6 && trail > 0x7E) break; // level 1 ends at 0xC67E
            char in[2] = { static_cast<char>(lead), static_cast<char>(trail) };
            char buf[8];
            char* inPtr = in;
            char* outPtr = buf;
            std::size_t inLeft = 2;
            std::size_t outLeft = sizeof buf;
            if (iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != static_cast<std::size_t>(-1)) {
                out.append(buf, static_cast<std::size_t>(outPtr - buf));
            }
            iconv(cd, nullptr, nullptr, nullptr, nullptr); // reset the shift state after a failure
        }
    }
    iconv_close(cd);
    return out;
}

struct FontLoader::Impl {
    FontOptions options;
    std::vector<std::string> uiTexts;
    std::vector<char> ttc; // shared by the three sizes; the atlas does not own it
    ImVector<ImWchar> bodyRanges;
    ImVector<ImWchar> uiRanges;
    ImVector<ImWchar> receiptRanges;
    std::size_t bodyGlyphs = 0;
    float scale = 1.0f; // larger text
    float dpiScale = 1.0f; // the display's pixels per logical pixel: glyphs baked this much bigger
    std::string extra; // characters added after start-up (UTF-8), in every size
    std::set<unsigned> attempted; // code points already added once: never rebuild for them again
};

FontLoader::FontLoader(FontOptions options, std::vector<std::string> uiTexts)
    : impl_(std::make_unique<Impl>())
{
    impl_->options = std::move(options);
    impl_->uiTexts = std::move(uiTexts);
}

FontLoader::~FontLoader() = default;

namespace
{

    // Bopomofo and tone marks (for Zhuyin), general and CJK punctuation, fullwidth forms, the ● of
    // masked input.
    constexpr ImWchar EXTRA_RANGES[] = { 0x02C7, 0x02C7, 0x02C9, 0x02CB, 0x02D9, 0x02D9, 0x2000,
        0x206F, 0x25CB, 0x25CF, 0x3000, 0x303F, 0x3100, 0x312F, 0x31A0, 0x31BF, 0xFF00, 0xFFEF, 0 };

    std::vector<char> readFile(const std::filesystem::path& file)
    {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open font " + file.string());
        return std::vector<char>(
            std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

} // namespace

Fonts FontLoader::addTo(ImFontAtlas& atlas)
{
    Impl& d = *impl_;
    d.ttc = readFile(d.options.file);

    ImFontGlyphRangesBuilder ui;
    ui.AddRanges(atlas.GetGlyphRangesDefault()); // Basic Latin + Latin-1
    for (const auto& t : d.uiTexts)
        ui.AddText(t.c_str(), t.c_str() + t.size());
    ui.AddText(d.extra.c_str(), d.extra.c_str() + d.extra.size());
    ui.BuildRanges(&d.uiRanges);

    ImFontGlyphRangesBuilder body;
    body.AddRanges(d.uiRanges.Data);
    body.AddRanges(EXTRA_RANGES);
    const std::string big5 = big5LevelOne();
    body.AddText(big5.c_str(), big5.c_str() + big5.size());
    body.BuildRanges(&d.bodyRanges);

    auto add = [&](float size, const ImVector<ImWchar>& ranges) {
        ImFontConfig config;
        config.FontNo = d.options.faceIndex;
        config.FontDataOwnedByAtlas = false;
        config.OversampleH = 1;
        config.OversampleV = 1;
        config.PixelSnapH = true;
        ImFont* font = atlas.AddFontFromMemoryTTF(
            d.ttc.data(), static_cast<int>(d.ttc.size()), size, &config, ranges.Data);
        if (font == nullptr)
            throw std::runtime_error("cannot load font face from " + d.options.file.string());
        return font;
    };
    Fonts fonts;
    const float bake = d.scale * d.dpiScale;
    fonts.body = add(d.options.bodySize * bake, d.bodyRanges); // first font = ImGui's default
    fonts.title = add(d.options.titleSize * bake, d.uiRanges);
    // Case numbers, verification codes and filing ids are ASCII: the biggest size carries nothing
    // else.
    static constexpr ImWchar ASCII[] = { 0x0020, 0x007E, 0 };
    d.receiptRanges.clear();
    for (const ImWchar* r = ASCII; *r != 0; ++r)
        d.receiptRanges.push_back(*r);
    d.receiptRanges.push_back(0);
    fonts.receipt = add(d.options.receiptSize * bake, d.receiptRanges);
    d.bodyGlyphs = 0;
    for (int i = 0; i + 1 < d.bodyRanges.Size; i += 2) {
        d.bodyGlyphs += static_cast<std::size_t>(d.bodyRanges[i + 1] - d.bodyRanges[i] + 1);
    }
    return fonts;
}

void FontLoader::releaseAfterUpload(ImFontAtlas& atlas)
{
    atlas.ClearTexData();
    atlas.ClearInputData();
    impl_->ttc = {};
    impl_->bodyRanges.clear();
    impl_->uiRanges.clear();
    impl_->receiptRanges.clear();
}

bool FontLoader::coverMissing(ImFontAtlas& atlas, Fonts& fonts,
    const std::vector<std::string>& bodyTexts, const std::vector<std::string>& titleTexts)
{
    Impl& d = *impl_;
    bool missing = false;
    auto scan = [&](const std::vector<std::string>& texts, ImFont* font) {
        for (const auto& t : texts) {
            const char* p = t.c_str();
            const char* end = p + t.size();
            while (p < end) {
                unsigned c = 0;
                const char* start = p;
                p += ImTextCharFromUtf8(&c, p, end);
                if (c < 0x20 || c > 0xFFFF || d.attempted.count(c) != 0)
                    continue; // ImWchar is 16-bit here
                if (font->FindGlyphNoFallback(static_cast<ImWchar>(c)) != nullptr) continue;
                d.attempted.insert(c);
                d.extra.append(start, p);
                missing = true;
            }
        }
    };
    scan(bodyTexts, fonts.body);
    scan(titleTexts, fonts.title);
    if (!missing) return false;
    atlas.Clear();
    fonts = addTo(atlas);
    atlas.Build();
    return true;
}

bool FontLoader::forgetAdded(ImFontAtlas& atlas, Fonts& fonts, bool rebuild)
{
    Impl& d = *impl_;
    explicit_bzero(d.extra.data(), d.extra.size()); // characters of someone's name or complaint
    d.extra.clear();
    d.extra.shrink_to_fit();
    d.attempted.clear();
    if (!rebuild) return false;
    atlas.Clear();
    fonts = addTo(atlas);
    atlas.Build();
    return true;
}

bool FontLoader::hasAdded() const
{
    return !impl_->extra.empty() || !impl_->attempted.empty();
}

void FontLoader::setDpiScale(float scale)
{
    impl_->dpiScale = scale;
}

bool FontLoader::rescale(ImFontAtlas& atlas, Fonts& fonts, float scale)
{
    if (scale == impl_->scale) return false;
    impl_->scale = scale;
    atlas.Clear();
    fonts = addTo(atlas);
    atlas.Build();
    return true;
}

std::size_t FontLoader::bodyGlyphCount() const
{
    return impl_->bodyGlyphs;
}

} // namespace shensu::kiosk::ui
