// Font atlas plan (ARCHITECTURE §8): one TC face, body size with the full custom range, big sizes
// with UI text only.
#include "kiosk/ui/fonts.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
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
    std::filesystem::path cacheDir; // empty: no atlas cache
    std::uint64_t fontHash = 0; // of the mapped font file's bytes (0: not yet hashed)
    int cacheLoads = 0;

    bool addInPlace(ImFontAtlas& atlas, const Fonts& fonts,
        const std::vector<std::pair<ImFont*, unsigned>>& fresh, const TextureWriter& write,
        std::size_t& placedCount);
    std::filesystem::path cacheFile() const;
    std::string cacheKey(const ImFontAtlas& atlas);
    bool loadCache(ImFontAtlas& atlas);
    void saveCache(const ImFontAtlas& atlas);
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
    build(atlas); // holds the added characters: never from or into the cache
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
    build(atlas);
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
    build(atlas);
    return true;
}

namespace
{

    // 64-bit hash of a byte range, 8 bytes at a time (a font file's identity, a cache file's
    // integrity; not against an attacker: the cache lives in the kiosk's own state directory).
    std::uint64_t hashBytes(
        const void* data, std::size_t size, std::uint64_t h = 0x9E3779B97F4A7C15ull)
    {
        const auto* p = static_cast<const unsigned char*>(data);
        const auto mix = [&h](std::uint64_t w) {
            h ^= w * 0x87C37B91114253D5ull;
            h = (h << 31 | h >> 33) * 0x4CF5AD432745937Full;
        };
        std::size_t i = 0;
        for (; i + 8 <= size; i += 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, p + i, 8);
            mix(w);
        }
        std::uint64_t tail = size;
        for (; i < size; ++i)
            tail = tail << 8 | p[i];
        mix(tail);
        h ^= h >> 33;
        return h * 0xFF51AFD7ED558CCDull;
    }

    template<typename T> void put(std::string& out, T value)
    {
        out.append(reinterpret_cast<const char*>(&value), sizeof value);
    }

    // Reads what put() wrote; every read past the end fails the whole load.
    struct Reader {
        const std::string& in;
        std::size_t at = 0;
        bool ok = true;
        template<typename T> T get()
        {
            T value {};
            if (!ok || in.size() - at < sizeof value) {
                ok = false;
                return value;
            }
            std::memcpy(&value, in.data() + at, sizeof value);
            at += sizeof value;
            return value;
        }
    };

    constexpr const char CACHE_MAGIC[] = "shensu font atlas 1\n";

} // namespace

std::filesystem::path FontLoader::Impl::cacheFile() const
{
    // One file per text size: normal and larger text both load fast.
    return cacheDir
        / ("font-atlas-" + std::to_string(static_cast<int>(std::lround(scale * 100))) + ".bin");
}

std::string FontLoader::Impl::cacheKey(const ImFontAtlas& atlas)
{
    if (fontHash == 0 && ttc.data() != nullptr) fontHash = hashBytes(ttc.data(), ttc.size());
    std::string key = CACHE_MAGIC;
    key += "imgui " + std::to_string(IMGUI_VERSION_NUM) + " font " + options.file.string() + " "
        + std::to_string(ttc.size()) + " " + std::to_string(fontHash) + " face "
        + std::to_string(options.faceIndex) + "\n";
    put(key, atlas.Flags);
    put(key, atlas.TexGlyphPadding);
    put(key, atlas.TexDesiredWidth);
    for (const ImFontConfig& c : atlas.ConfigData) {
        put(key, c.FontNo);
        put(key, c.SizePixels); // the display scale and the text size are in here
        put(key, c.OversampleH);
        put(key, c.OversampleV);
        put(key, c.PixelSnapH);
        put(key, c.RasterizerMultiply);
        put(key, c.GlyphOffset.x);
        put(key, c.GlyphOffset.y);
        put(key, c.MergeMode);
        for (const ImWchar* r = c.GlyphRanges; r != nullptr && *r != 0; ++r)
            put(key, *r);
        put(key, ImWchar { 0 });
    }
    return key;
}

bool FontLoader::Impl::loadCache(ImFontAtlas& atlas)
{
    if (fontHash == 0 && ttc.data() == nullptr) return false;
    std::string in;
    {
        const int fd = ::open(cacheFile().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        struct stat st {
        };
        if (::fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (1 << 28))
            in.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < in.size()) {
            const ssize_t n = ::read(fd, in.data() + got, in.size() - got);
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        ::close(fd);
        in.resize(got);
    }
    if (in.size() < sizeof(std::uint64_t)) return false;
    const std::size_t body = in.size() - sizeof(std::uint64_t);
    std::uint64_t sum = 0;
    std::memcpy(&sum, in.data() + body, sizeof sum);
    if (sum != hashBytes(in.data(), body)) return false; // cut short or damaged: build it again
    in.resize(body);
    const std::string key = cacheKey(atlas);
    Reader r { in };
    const auto keySize = r.get<std::uint64_t>();
    if (!r.ok || keySize != key.size() || in.compare(r.at, key.size(), key) != 0) return false;
    r.at += key.size();

    // Everything read and checked before the atlas is touched: a bad file leaves it buildable.
    const int width = r.get<int>();
    const int height = r.get<int>();
    struct Rect {
        unsigned short x, y, w, h;
    };
    const auto rectCount = r.get<std::uint32_t>();
    if (!r.ok || rectCount > 64) return false; // ImGui 1.86 adds two
    std::vector<Rect> rects(rectCount);
    for (Rect& rect : rects)
        rect = { r.get<unsigned short>(), r.get<unsigned short>(), r.get<unsigned short>(),
            r.get<unsigned short>() };
    struct Glyph {
        unsigned codepoint = 0;
        float x0, y0, x1, y1, u0, v0, u1, v1, advance;
    };
    struct Face {
        float ascent = 0, descent = 0;
        std::vector<Glyph> glyphs;
    };
    const auto faceCount = r.get<std::uint32_t>();
    if (!r.ok || faceCount != static_cast<std::uint32_t>(atlas.Fonts.Size)
        || faceCount != static_cast<std::uint32_t>(atlas.ConfigData.Size))
        return false;
    std::vector<Face> faces(faceCount);
    for (Face& f : faces) {
        f.ascent = r.get<float>();
        f.descent = r.get<float>();
        const auto count = r.get<std::uint32_t>();
        if (!r.ok || count > 0x10000) return false;
        f.glyphs.resize(count);
        for (Glyph& g : f.glyphs) {
            g.codepoint = r.get<std::uint32_t>();
            for (float* v : { &g.x0, &g.y0, &g.x1, &g.y1, &g.u0, &g.v0, &g.u1, &g.v1, &g.advance })
                *v = r.get<float>();
            if (g.codepoint > 0xFFFF) return false; // ImWchar is 16-bit here
        }
    }
    if (!r.ok || width <= 0 || height <= 0 || width > 16384 || height > 16384
        || in.size() - r.at != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
        return false;
    for (int i = 0; i < atlas.ConfigData.Size; ++i) {
        if (atlas.ConfigData[i].DstFont != atlas.Fonts[i] || atlas.ConfigData[i].MergeMode)
            return false;
    }

    // As ImFontAtlasBuildWithStbTruetype leaves it, without rasterising: ImGui's rectangles (the
    // white pixel, its cursors, the baked lines) where the build packed them, the fonts' metrics
    // and glyphs as built, the pixels, then ImGui's own finish (redraws its rectangles, builds the
    // lookup tables, marks the texture ready).
    ImFontAtlasBuildInit(&atlas);
    if (atlas.CustomRects.Size != static_cast<int>(rects.size())) return false;
    for (int i = 0; i < atlas.CustomRects.Size; ++i) {
        const auto& want = rects[static_cast<std::size_t>(i)];
        ImFontAtlasCustomRect& rect = atlas.CustomRects[i];
        if (rect.Width != want.w || rect.Height != want.h || want.x + want.w > width
            || want.y + want.h > height)
            return false;
    }
    atlas.TexID = nullptr;
    atlas.ClearTexData();
    atlas.TexWidth = width;
    atlas.TexHeight = height;
    atlas.TexUvScale = ImVec2(1.0f / static_cast<float>(width), 1.0f / static_cast<float>(height));
    atlas.TexUvWhitePixel = ImVec2(0, 0);
    for (int i = 0; i < atlas.CustomRects.Size; ++i) {
        atlas.CustomRects[i].X = rects[static_cast<std::size_t>(i)].x;
        atlas.CustomRects[i].Y = rects[static_cast<std::size_t>(i)].y;
    }
    atlas.TexPixelsAlpha8 = static_cast<unsigned char*>(IM_ALLOC(in.size() - r.at));
    std::memcpy(atlas.TexPixelsAlpha8, in.data() + r.at, in.size() - r.at);
    for (int i = 0; i < atlas.Fonts.Size; ++i) {
        const Face& f = faces[static_cast<std::size_t>(i)];
        ImFont* font = atlas.Fonts[i];
        ImFontAtlasBuildSetupFont(&atlas, font, &atlas.ConfigData[i], f.ascent, f.descent);
        font->Glyphs.reserve(static_cast<int>(f.glyphs.size()));
        for (const Glyph& g : f.glyphs) // no config: the advance is already as built
            font->AddGlyph(nullptr, static_cast<ImWchar>(g.codepoint), g.x0, g.y0, g.x1, g.y1, g.u0,
                g.v0, g.u1, g.v1, g.advance);
    }
    ImFontAtlasBuildFinish(&atlas);
    return true;
}

void FontLoader::Impl::saveCache(const ImFontAtlas& atlas)
{
    if (atlas.TexPixelsAlpha8 == nullptr || atlas.TexWidth <= 0 || atlas.TexHeight <= 0) return;
    const std::string key = cacheKey(atlas);
    std::string out;
    put(out, static_cast<std::uint64_t>(key.size()));
    out += key;
    put(out, atlas.TexWidth);
    put(out, atlas.TexHeight);
    put(out, static_cast<std::uint32_t>(atlas.CustomRects.Size));
    for (const ImFontAtlasCustomRect& rect : atlas.CustomRects) {
        for (unsigned short v : { rect.X, rect.Y, rect.Width, rect.Height })
            put(out, v);
    }
    put(out, static_cast<std::uint32_t>(atlas.Fonts.Size));
    for (const ImFont* font : atlas.Fonts) {
        put(out, font->Ascent);
        put(out, font->Descent);
        put(out, static_cast<std::uint32_t>(font->Glyphs.Size));
        for (const ImFontGlyph& g : font->Glyphs) {
            put(out, static_cast<std::uint32_t>(g.Codepoint));
            for (float v : { g.X0, g.Y0, g.X1, g.Y1, g.U0, g.V0, g.U1, g.V1, g.AdvanceX })
                put(out, v);
        }
    }
    out.append(reinterpret_cast<const char*>(atlas.TexPixelsAlpha8),
        static_cast<std::size_t>(atlas.TexWidth) * static_cast<std::size_t>(atlas.TexHeight));
    put(out, hashBytes(out.data(), out.size()));
    // Written beside, then renamed over: a kiosk switched off mid-write leaves the old file or
    // none, never half of one (and a damaged file fails its checksum and is rebuilt).
    std::error_code ec;
    std::filesystem::create_directories(cacheDir, ec);
    const auto file = cacheFile();
    auto temporary = file;
    temporary += ".tmp" + std::to_string(::getpid());
    {
        std::ofstream o(temporary, std::ios::binary | std::ios::trunc);
        o.write(out.data(), static_cast<std::streamsize>(out.size()));
        o.close();
        if (!o) {
            std::filesystem::remove(temporary, ec);
            return;
        }
    }
    std::filesystem::rename(temporary, file, ec);
    if (ec) std::filesystem::remove(temporary, ec);
}

void FontLoader::setCacheDir(std::filesystem::path dir)
{
    impl_->cacheDir = std::move(dir);
}

bool FontLoader::build(ImFontAtlas& atlas)
{
    Impl& d = *impl_;
    // Only the base atlas: one holding characters someone typed or whose name was read is never
    // written to disk, and never comes from it.
    const bool base = !d.cacheDir.empty() && d.extra.empty();
    if (base && d.loadCache(atlas)) {
        ++d.cacheLoads;
        return true;
    }
    atlas.Build();
    if (base) d.saveCache(atlas);
    return false;
}

int FontLoader::cacheLoads() const
{
    return impl_->cacheLoads;
}

std::size_t FontLoader::bodyGlyphCount() const
{
    return impl_->bodyGlyphs;
}

} // namespace shensu::kiosk::ui
