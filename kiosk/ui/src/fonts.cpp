// Font atlas plan (ARCHITECTURE §8): one TC face, body size with the full custom range, big sizes
// with UI text only.
#include "kiosk/ui/fonts.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <iconv.h>
#include <imgui.h>
#include <imgui_internal.h> // ImTextCharFromUtf8
#include <stb_truetype.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace
{

    // The font file, mapped read-only: no 19.5 MB copy (and no fresh pages to fault in) for the
    // first build and for every rebuild; unmapped once the atlas is uploaded.
    class MappedFile
    {
    public:
        MappedFile() = default;
        explicit MappedFile(const std::filesystem::path& file)
        {
            const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw std::runtime_error("cannot open font " + file.string());
            struct stat st {
            };
            if (::fstat(fd, &st) == 0 && st.st_size > 0) {
                void* p = ::mmap(
                    nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
                if (p != MAP_FAILED) {
                    data_ = p;
                    size_ = static_cast<std::size_t>(st.st_size);
                }
            }
            ::close(fd);
            if (data_ == nullptr) throw std::runtime_error("cannot read font " + file.string());
        }
        MappedFile(MappedFile&& o) noexcept
            : data_(std::exchange(o.data_, nullptr))
            , size_(std::exchange(o.size_, 0))
        { }
        MappedFile& operator=(MappedFile&& o) noexcept
        {
            if (this != &o) {
                reset();
                data_ = std::exchange(o.data_, nullptr);
                size_ = std::exchange(o.size_, 0);
            }
            return *this;
        }
        MappedFile(const MappedFile&) = delete;
        MappedFile& operator=(const MappedFile&) = delete;
        ~MappedFile() { reset(); }
        void reset()
        {
            if (data_ != nullptr) ::munmap(data_, size_);
            data_ = nullptr;
            size_ = 0;
        }
        void* data() const { return data_; } // stb_truetype only reads it
        std::size_t size() const { return size_; }

    private:
        void* data_ = nullptr;
        std::size_t size_ = 0;
    };

} // namespace

struct FontLoader::Impl {
    FontOptions options;
    std::vector<std::string> uiTexts;
    MappedFile ttc; // shared by the three sizes; the atlas does not own it
    ImVector<ImWchar> bodyRanges;
    ImVector<ImWchar> uiRanges;
    ImVector<ImWchar> receiptRanges;
    std::size_t bodyGlyphs = 0;
    float scale = 1.0f; // larger text
    float dpiScale = 1.0f; // the display's pixels per logical pixel: glyphs baked this much bigger
    std::string extra; // characters added after start-up (UTF-8), in every size
    // Code points already added once (| 0x10000 for the title size): never again, also when the
    // font lacks them.
    std::set<unsigned> attempted;
    // The uploaded texture's free space below what the build packed, per pixel column (the first
    // free row): new glyphs go there without a rebuild.
    std::vector<int> skyline;

    bool addInPlace(ImFontAtlas& atlas, const Fonts& fonts,
        const std::vector<std::pair<ImFont*, unsigned>>& fresh, const TextureWriter& write,
        std::size_t& placedCount);
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

} // namespace

Fonts FontLoader::addTo(ImFontAtlas& atlas)
{
    Impl& d = *impl_;
    d.ttc = MappedFile(d.options.file);

    ImFontGlyphRangesBuilder ui;
    ui.AddRanges(atlas.GetGlyphRangesDefault()); // Basic Latin + Latin-1
    for (const auto& t : d.uiTexts)
        ui.AddText(t.c_str(), t.c_str() + t.size());
    ui.AddText(d.extra.c_str(), d.extra.c_str() + d.extra.size());
    ui.BuildRanges(&d.uiRanges);

    ImFontGlyphRangesBuilder body;
    body.AddRanges(d.uiRanges.Data);
    body.AddRanges(EXTRA_RANGES);
    static const std::string big5 = big5LevelOne(); // 5,401 iconv calls: once per process
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
    // Where the build packed something, per column (glyphs of every font, ImGui's own
    // rectangles): the space below is free for glyphs added later.
    std::vector<int>& sky = impl_->skyline;
    sky.assign(static_cast<std::size_t>(std::max(atlas.TexWidth, 0)), 0);
    const auto occupy = [&sky](float x0, float x1, float y1) {
        const int from = std::max(0, static_cast<int>(std::floor(x0)) - 1);
        const int to = std::min(static_cast<int>(sky.size()), static_cast<int>(std::ceil(x1)) + 1);
        for (int x = from; x < to; ++x) {
            auto& top = sky[static_cast<std::size_t>(x)];
            top = std::max(top, static_cast<int>(std::ceil(y1)) + 1);
        }
    };
    const auto w = static_cast<float>(atlas.TexWidth);
    const auto h = static_cast<float>(atlas.TexHeight);
    for (const ImFont* font : atlas.Fonts) {
        for (const ImFontGlyph& g : font->Glyphs)
            occupy(g.U0 * w, g.U1 * w, g.V1 * h);
    }
    for (const ImFontAtlasCustomRect& r : atlas.CustomRects)
        occupy(r.X, r.X + r.Width, r.Y + r.Height);
    atlas.ClearTexData();
    atlas.ClearInputData();
    impl_->ttc.reset();
    impl_->bodyRanges.clear();
    impl_->uiRanges.clear();
    impl_->receiptRanges.clear();
}

bool FontLoader::Impl::addInPlace(ImFontAtlas& atlas, const Fonts& fonts,
    const std::vector<std::pair<ImFont*, unsigned>>& fresh, const TextureWriter& write,
    std::size_t& placedCount)
{
    placedCount = 0;
    if (skyline.empty() || !write) return false;
    MappedFile file(options.file);
    const auto* data = static_cast<const unsigned char*>(file.data());
    const int offset = stbtt_GetFontOffsetForIndex(data, options.faceIndex);
    stbtt_fontinfo info {};
    if (offset < 0 || stbtt_InitFont(&info, data, offset) == 0) return false;
    // Rasterise every glyph first, so that a full texture leaves the atlas as it was.
    struct Placed {
        ImFont* font;
        ImWchar c;
        int x, y, w, h, x0, y0;
        float advance;
        std::vector<std::uint8_t> rgba;
    };
    std::vector<Placed> placed;
    std::vector<int> sky = skyline; // kept only if everything fits
    for (const auto& [font, c] : fresh) {
        const float px = stbtt_ScaleForPixelHeight(&info, font->FontSize);
        const int glyph = stbtt_FindGlyphIndex(&info, static_cast<int>(c));
        if (glyph == 0) continue; // not in the font either: ImGui draws its fallback
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        stbtt_GetGlyphBitmapBox(&info, glyph, px, px, &x0, &y0, &x1, &y1);
        int advance = 0, bearing = 0;
        stbtt_GetGlyphHMetrics(&info, glyph, &advance, &bearing);
        const int w = x1 - x0;
        const int h = y1 - y0;
        // The lowest free spot w + 1 columns wide (skyline packing).
        int bestX = -1;
        int bestY = atlas.TexHeight;
        for (int x = 0; x + w + 1 <= atlas.TexWidth; ++x) {
            const auto first = sky.begin() + x;
            const int y = *std::max_element(first, first + w + 1);
            if (y < bestY) {
                bestY = y;
                bestX = x;
            }
        }
        if (bestX < 0 || bestY + h + 1 > atlas.TexHeight)
            return false; // no room: the caller rebuilds
        const int sx = bestX;
        const int sy = bestY;
        std::fill(sky.begin() + sx, sky.begin() + sx + w + 1, sy + h + 1);
        std::vector<std::uint8_t> alpha(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
        if (w > 0 && h > 0) stbtt_MakeGlyphBitmap(&info, alpha.data(), w, h, w, px, px, glyph);
        std::vector<std::uint8_t> rgba(alpha.size() * 4, 255);
        for (std::size_t i = 0; i < alpha.size(); ++i)
            rgba[i * 4 + 3] = alpha[i]; // ImGui's RGBA32 atlas: white, alpha = coverage
        placed.push_back({ font, static_cast<ImWchar>(c), sx, sy, w, h, x0, y0,
            static_cast<float>(advance) * px, std::move(rgba) });
    }
    for (const Placed& p : placed) {
        if (p.w > 0 && p.h > 0 && !write(p.x, p.y, p.w, p.h, p.rgba.data())) return false;
    }
    ImFontConfig config; // as in addTo(): advances snapped to whole pixels
    config.PixelSnapH = true;
    const float u = 1.0f / static_cast<float>(atlas.TexWidth);
    const float v = 1.0f / static_cast<float>(atlas.TexHeight);
    for (const Placed& p : placed) {
        const float top = std::round(p.font->Ascent); // as ImGui's stb_truetype build
        p.font->AddGlyph(&config, p.c, static_cast<float>(p.x0), static_cast<float>(p.y0) + top,
            static_cast<float>(p.x0 + p.w), static_cast<float>(p.y0 + p.h) + top,
            static_cast<float>(p.x) * u, static_cast<float>(p.y) * v,
            static_cast<float>(p.x + p.w) * u, static_cast<float>(p.y + p.h) * v, p.advance);
    }
    placedCount = placed.size();
    if (placed.empty()) return true;
    fonts.body->BuildLookupTable();
    fonts.title->BuildLookupTable();
    skyline = std::move(sky);
    return true;
}

FontLoader::Added FontLoader::coverMissing(ImFontAtlas& atlas, Fonts& fonts,
    const std::vector<std::string>& bodyTexts, const std::vector<std::string>& titleTexts,
    const TextureWriter& write)
{
    Impl& d = *impl_;
    bool missing = false;
    std::vector<std::pair<ImFont*, unsigned>> fresh; // only the size that needs it
    auto scan = [&](const std::vector<std::string>& texts, ImFont* font, unsigned tried) {
        for (const auto& t : texts) {
            const char* p = t.c_str();
            const char* end = p + t.size();
            while (p < end) {
                unsigned c = 0;
                const char* start = p;
                p += ImTextCharFromUtf8(&c, p, end);
                if (c < 0x20 || c > 0xFFFF || d.attempted.count(c | tried) != 0)
                    continue; // ImWchar is 16-bit here
                if (font->FindGlyphNoFallback(static_cast<ImWchar>(c)) != nullptr) continue;
                d.attempted.insert(c | tried);
                d.extra.append(start, p);
                fresh.emplace_back(font, c);
                missing = true;
            }
        }
    };
    scan(bodyTexts, fonts.body, 0);
    scan(titleTexts, fonts.title, 0x10000); // tried per size: a typed character, later a name
    if (!missing) return Added::NOTHING;
    std::size_t placed = 0;
    if (d.addInPlace(atlas, fonts, fresh, write, placed))
        return placed == 0 ? Added::NOTHING : Added::IN_PLACE; // none in the font: '?' stays
    atlas.Clear();
    fonts = addTo(atlas);
    atlas.Build();
    return Added::REBUILT;
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
