// libchewing behind a small value-returning interface (research note §4.2).
#include "kiosk/ui/zhuyin.hpp"

#include <cstring>
#include <stdexcept>
#include <utility>

#include <chewing.h>

namespace shensu::kiosk::ui
{

namespace
{
    constexpr std::pair<char, const char*> DACHEN[] = { { '1', "ㄅ" }, { 'q', "ㄆ" }, { 'a', "ㄇ" },
        { 'z', "ㄈ" }, { '2', "ㄉ" }, { 'w', "ㄊ" }, { 's', "ㄋ" }, { 'x', "ㄌ" }, { 'e', "ㄍ" },
        { 'd', "ㄎ" }, { 'c', "ㄏ" }, { 'r', "ㄐ" }, { 'f', "ㄑ" }, { 'v', "ㄒ" }, { '5', "ㄓ" },
        { 't', "ㄔ" }, { 'g', "ㄕ" }, { 'b', "ㄖ" }, { 'y', "ㄗ" }, { 'h', "ㄘ" }, { 'n', "ㄙ" },
        { 'u', "ㄧ" }, { 'j', "ㄨ" }, { 'm', "ㄩ" }, { '8', "ㄚ" }, { 'i', "ㄛ" }, { 'k', "ㄜ" },
        { ',', "ㄝ" }, { '9', "ㄞ" }, { 'o', "ㄟ" }, { 'l', "ㄠ" }, { '.', "ㄡ" }, { '0', "ㄢ" },
        { 'p', "ㄣ" }, { ';', "ㄤ" }, { '/', "ㄥ" }, { '-', "ㄦ" }, { '6', "ˊ" }, { '3', "ˇ" },
        { '4', "ˋ" }, { '7', "˙" } };
} // namespace

char dachenKey(const std::string& symbol) noexcept
{
    for (const auto& [key, s] : DACHEN) {
        if (symbol == s) return key;
    }
    return 0;
}

const char* dachenSymbol(char key) noexcept
{
    for (const auto& [k, s] : DACHEN) {
        if (k == key) return s;
    }
    return nullptr;
}

struct ZhuyinEngine::Context {
    ChewingContext* ctx = nullptr;
    Context()
    {
        // ":memory:": never a file of what people typed.
        ctx = chewing_new2(nullptr, ":memory:", nullptr, nullptr);
        if (ctx == nullptr) throw std::runtime_error("libchewing: cannot create a context");
        chewing_set_KBType(ctx, chewing_KBStr2Num("KB_DEFAULT"));
        chewing_set_ChiEngMode(ctx, CHINESE_MODE);
        chewing_set_phraseChoiceRearward(ctx, 1);
        chewing_set_maxChiSymbolLen(ctx, 16);
        chewing_set_candPerPage(ctx, 10);
        chewing_set_escCleanAllBuf(ctx, 1);
    }
    ~Context() { chewing_delete(ctx); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
};

ZhuyinEngine::ZhuyinEngine()
    : ctx_(std::make_unique<Context>())
{ }

ZhuyinEngine::~ZhuyinEngine() = default;

void ZhuyinEngine::reset()
{
    ctx_.reset(); // chewing_delete first: at most one context holds anything
    ctx_ = std::make_unique<Context>();
    candidates_.clear();
}

std::string ZhuyinEngine::takeCommit()
{
    std::string out;
    if (chewing_commit_Check(ctx_->ctx) != 0) out = chewing_commit_String_static(ctx_->ctx);
    return out;
}

void ZhuyinEngine::refreshCandidates()
{
    candidates_.clear();
    ChewingContext* c = ctx_->ctx;
    if (chewing_buffer_Len(c) == 0 || chewing_bopomofo_Check(c) != 0) return;
    chewing_cand_open(c);
    const int total = chewing_cand_TotalChoice(c);
    for (int i = 0; i < total && i < 10; ++i) {
        const char* s = chewing_cand_string_by_index_static(c, i);
        if (s != nullptr) candidates_.emplace_back(s);
    }
    chewing_cand_close(c);
}

std::string ZhuyinEngine::key(char dachen)
{
    chewing_handle_Default(ctx_->ctx, dachen);
    std::string out = takeCommit();
    refreshCandidates();
    return out;
}

std::string ZhuyinEngine::firstTone()
{
    chewing_handle_Space(ctx_->ctx);
    std::string out = takeCommit();
    refreshCandidates();
    return out;
}

std::string ZhuyinEngine::commit()
{
    if (chewing_bopomofo_Check(ctx_->ctx) != 0) chewing_handle_Esc(ctx_->ctx); // a half syllable
    std::string out;
    if (chewing_buffer_Len(ctx_->ctx) > 0) {
        chewing_handle_Enter(ctx_->ctx);
        out = takeCommit();
    }
    candidates_.clear();
    return out;
}

bool ZhuyinEngine::backspace()
{
    if (!composing()) return false;
    chewing_handle_Backspace(ctx_->ctx);
    refreshCandidates();
    return true;
}

std::string ZhuyinEngine::choose(int index)
{
    ChewingContext* c = ctx_->ctx;
    chewing_cand_open(c);
    const bool chosen = index >= 0 && index < chewing_cand_TotalChoice(c)
        && chewing_cand_choose_by_index(c, index) == 0;
    if (!chosen) chewing_cand_close(c);
    return commit();
}

bool ZhuyinEngine::composing() const
{
    return chewing_buffer_Len(ctx_->ctx) > 0 || chewing_bopomofo_Check(ctx_->ctx) != 0;
}

bool ZhuyinEngine::syllablePending() const
{
    return chewing_bopomofo_Check(ctx_->ctx) != 0;
}

std::string ZhuyinEngine::preedit() const
{
    std::string out = chewing_buffer_String_static(ctx_->ctx);
    out += chewing_bopomofo_String_static(ctx_->ctx);
    return out;
}

} // namespace shensu::kiosk::ui
