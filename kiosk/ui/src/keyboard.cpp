// The on-screen keyboard: Zhuyin (注音, 大千 layout, through libchewing) with its candidates as
// large buttons, English letters, digits and symbols. Keys are ≥ 44×44 px at 1280×800 and have
// stable ids ("kb.ㄅ", "kb.a", "kb.candidate.0", …) so automation can tap them.
#include "kiosk/core/text.hpp"
#include "screens/screens.hpp"

#include <array>

namespace shensu::kiosk::ui
{

namespace
{

    constexpr float KEY_HEIGHT = 52.0f;
    constexpr float KEY_GAP = 6.0f;
    constexpr int ROWS = 6; // candidates, four rows of keys, controls

    // 大千 rows by ASCII key; the label is the Bopomofo symbol.
    constexpr std::array<const char*, 4> ZHUYIN_ROWS
        = { "1234567890-", "qwertyuiop", "asdfghjkl;", "zxcvbnm,./" };
    constexpr std::array<const char*, 4> ENGLISH_ROWS
        = { "1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm@.-" };
    const std::array<std::vector<const char*>, 4> SYMBOL_ROWS = {
        std::vector<const char*> { "1", "2", "3", "4", "5", "6", "7", "8", "9", "0" },
        std::vector<const char*> {
            "，", "。", "、", "？", "！", "：", "；", "「", "」", "（", "）" },
        std::vector<const char*> { ",", ".", "?", "!", ":", ";", "(", ")", "/", "_", "#" },
        std::vector<const char*> { "-", "@", "+", "=", "%", "&", "*", "…", "—", "《", "》" },
    };

    std::string answerOf(const State& s, const std::string& id)
    {
        const auto it = s.answers.find(id);
        return it == s.answers.end() ? std::string {} : it->second;
    }

    void append(Frame& f, const std::string& text)
    {
        if (text.empty()) return;
        f.emit(EditField { f.ui.keyboard.target, answerOf(f.state, f.ui.keyboard.target) + text });
    }

    void deleteLastCharacter(Frame& f)
    {
        std::string value = answerOf(f.state, f.ui.keyboard.target);
        if (value.empty()) return;
        std::size_t end = value.size() - 1;
        while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0U) == 0x80U)
            --end; // back to the first byte of the last code point
        value.resize(end);
        f.emit(EditField { f.ui.keyboard.target, value });
    }

    ZhuyinEngine& zhuyin(Frame& f)
    {
        if (!f.ui.keyboard.zhuyin) f.ui.keyboard.zhuyin = std::make_unique<ZhuyinEngine>();
        return *f.ui.keyboard.zhuyin;
    }

    bool composing(Frame& f)
    {
        return f.ui.keyboard.zhuyin && f.ui.keyboard.zhuyin->composing();
    }

    // Before anything that is not Zhuyin: what was being composed goes into the field first.
    std::string flush(Frame& f)
    {
        return composing(f) ? zhuyin(f).commit() : std::string {};
    }

    float keyWidth(int perRow)
    {
        const float avail = ImGui::GetContentRegionAvail().x;
        return (avail - KEY_GAP * static_cast<float>(perRow - 1)) / static_cast<float>(perRow);
    }

    bool key(Frame& f, const std::string& id, const std::string& label, float width,
        bool primary = false)
    {
        ImGui::PushFont(f.ui.fonts.body);
        const bool pressed = primary ? primaryButton(f, id, label, { width, KEY_HEIGHT })
                                     : button(f, id, label, { width, KEY_HEIGHT });
        ImGui::PopFont();
        return pressed;
    }

    void sameLine()
    {
        ImGui::SameLine(0.0f, KEY_GAP);
    }

    void candidateRow(Frame& f)
    {
        // One row high whatever it shows, so the keys never move under a finger.
        const float top = ImGui::GetCursorPosY();
        struct NextRow {
            float y;
            ~NextRow() { ImGui::SetCursorPosY(y); }
        } next { top + KEY_HEIGHT + KEY_GAP };
        if (f.ui.keyboard.mode != KeyboardMode::ZHUYIN || !composing(f)) {
            ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
            ImGui::AlignTextToFramePadding();
            ImGui::TextUnformatted(
                f.tr(f.ui.keyboard.mode == KeyboardMode::ZHUYIN ? "keyboard.zhuyin_hint"
                                                                : "keyboard.target_hint")
                    .c_str());
            ImGui::PopStyleColor();
            return;
        }
        ZhuyinEngine& z = zhuyin(f);
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(f.trf("keyboard.preedit", { { "text", z.preedit() } }).c_str());
        const auto candidates = z.candidates(); // copied: choosing changes the engine's list
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const float w = std::max(110.0f, ImGui::CalcTextSize(candidates[i].c_str()).x + 36.0f);
            if (ImGui::GetCursorPosX() + w > ImGui::GetWindowContentRegionMax().x) break;
            sameLine();
            if (key(f, "kb.candidate." + std::to_string(i), candidates[i], w, i == 0))
                append(f, z.choose(static_cast<int>(i)));
        }
    }

    void zhuyinRows(Frame& f)
    {
        const float w = keyWidth(11);
        for (const char* row : ZHUYIN_ROWS) {
            bool first = true;
            for (const char* k = row; *k != '\0'; ++k) {
                if (!first) sameLine();
                first = false;
                const std::string symbol = dachenSymbol(*k);
                if (key(f, "kb." + symbol, symbol, w)) append(f, zhuyin(f).key(*k));
            }
        }
    }

    void englishRows(Frame& f)
    {
        const float w = keyWidth(11);
        for (std::size_t r = 0; r < ENGLISH_ROWS.size(); ++r) {
            bool first = true;
            if (r + 1 == ENGLISH_ROWS.size()) {
                if (key(f, "kb.shift", "Shift", w, f.ui.keyboard.shift))
                    f.ui.keyboard.shift = !f.ui.keyboard.shift;
                first = false;
            }
            for (const char* k = ENGLISH_ROWS[r]; *k != '\0'; ++k) {
                if (!first) sameLine();
                first = false;
                char c = *k;
                if (f.ui.keyboard.shift && c >= 'a' && c <= 'z')
                    c = static_cast<char>(c - 'a' + 'A');
                const std::string text(1, c);
                if (key(f, "kb." + text, text, w)) {
                    append(f, flush(f) + text);
                    f.ui.keyboard.shift = false;
                }
            }
        }
    }

    void symbolRows(Frame& f)
    {
        const float w = keyWidth(11);
        for (const auto& row : SYMBOL_ROWS) {
            bool first = true;
            for (const char* s : row) {
                if (!first) sameLine();
                first = false;
                if (key(f, std::string("kb.") + s, s, w)) append(f, flush(f) + s);
            }
        }
    }

    void controlRow(Frame& f)
    {
        const float unit = keyWidth(11);
        const float wide = unit * 2 + KEY_GAP;
        KeyboardState& kb = f.ui.keyboard;
        auto mode = [&](const char* id, const char* label, KeyboardMode m) {
            if (key(f, id, f.tr(label), wide, kb.mode == m)) {
                const std::string pending = m == KeyboardMode::ZHUYIN ? std::string {} : flush(f);
                append(f, pending);
                kb.mode = m;
            }
            sameLine();
        };
        mode("kb.mode.zhuyin", "keyboard.mode_zhuyin", KeyboardMode::ZHUYIN);
        mode("kb.mode.english", "keyboard.mode_english", KeyboardMode::ENGLISH);
        mode("kb.mode.symbols", "keyboard.mode_symbols", KeyboardMode::SYMBOLS);
        const bool multiline = [&] {
            const FormField* field = f.state.form->fieldOfAnswer(kb.target);
            return field != nullptr && field->type == FieldType::MULTILINE;
        }();
        if (key(f, "kb.space",
                f.tr(kb.mode == KeyboardMode::ZHUYIN ? "keyboard.space_tone" : "keyboard.space"),
                unit * 2 + KEY_GAP)) {
            if (kb.mode == KeyboardMode::ZHUYIN && composing(f)) {
                // A syllable being typed: the first tone. A finished pre-edit: commit, then a
                // space.
                ZhuyinEngine& z = zhuyin(f);
                append(f, z.syllablePending() ? z.firstTone() : z.commit() + " ");
            } else {
                append(f, " ");
            }
        }
        sameLine();
        if (key(f, "kb.backspace", f.tr("keyboard.backspace"), unit)) {
            if (!(kb.mode == KeyboardMode::ZHUYIN && composing(f) && zhuyin(f).backspace()))
                deleteLastCharacter(f);
        }
        sameLine();
        if (key(f, "kb.enter", f.tr("keyboard.enter"), unit, true)) {
            if (composing(f)) {
                append(f, zhuyin(f).commit());
            } else if (multiline) {
                append(f, "\n");
            }
        }
        sameLine();
        if (key(f, "kb.hide", f.tr("keyboard.hide"), ImGui::GetContentRegionAvail().x)) {
            append(f, flush(f));
            kb.target.clear();
        }
    }

    // The registration password's symbols: all of printable ASCII's punctuation, 32 keys.
    constexpr std::array<const char*, 4> PASSWORD_SYMBOL_ROWS
        = { "1234567890", "!@#$%^&*()", "-_=+[]{}\\|`", ";:'\",.<>/?~" };

} // namespace

bool drawPasswordKeyboard(Frame& f, cardio::NhiPassword& password)
{
    bool pressed = false;
    const auto put = [&](char c) {
        if (password.size() < NHI_PASSWORD_MAX) password.push(c);
        pressed = true;
    };
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(KEY_GAP, KEY_GAP));
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(4, 4));
    const float w = keyWidth(11);
    const bool letters = f.ui.passwordKeyboard != KeyboardMode::SYMBOLS;
    for (std::size_t r = 0; r < 4; ++r) {
        bool first = true;
        if (letters && r == 3) {
            if (key(f, "kb.shift", "Shift", w, f.ui.passwordShift)) {
                f.ui.passwordShift = !f.ui.passwordShift;
                pressed = true;
            }
            first = false;
        }
        for (const char* k = letters ? ENGLISH_ROWS[r] : PASSWORD_SYMBOL_ROWS[r]; *k != '\0'; ++k) {
            if (!first) sameLine();
            first = false;
            char c = *k;
            if (letters && f.ui.passwordShift && c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
            const std::string text(1, c);
            if (key(f, "kb." + text, text, w)) {
                put(c);
                f.ui.passwordShift = false;
            }
        }
    }
    const float wide = w * 2 + KEY_GAP;
    if (key(f, "kb.mode.english", f.tr("keyboard.mode_english"), wide, letters)) {
        f.ui.passwordKeyboard = KeyboardMode::ENGLISH;
        pressed = true;
    }
    sameLine();
    if (key(f, "kb.mode.symbols", f.tr("keyboard.mode_symbols"), wide, !letters)) {
        f.ui.passwordKeyboard = KeyboardMode::SYMBOLS;
        pressed = true;
    }
    sameLine();
    if (key(f, "kb.clear", f.tr("nhi_password.clear"), wide)) {
        password.wipe();
        pressed = true;
    }
    sameLine();
    if (key(f, "kb.backspace", f.tr("keyboard.backspace"), ImGui::GetContentRegionAvail().x)) {
        password.pop();
        pressed = true;
    }
    ImGui::PopStyleVar(2);
    return pressed;
}

float keyboardHeight()
{
    return ROWS * KEY_HEIGHT + (ROWS - 1) * KEY_GAP + ImGui::GetStyle().ItemSpacing.y;
}

void drawKeyboard(Frame& f)
{
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(KEY_GAP, KEY_GAP));
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(4, 4));
    candidateRow(f);
    switch (f.ui.keyboard.mode) {
    case KeyboardMode::ZHUYIN:
        zhuyinRows(f);
        break;
    case KeyboardMode::ENGLISH:
        englishRows(f);
        break;
    case KeyboardMode::SYMBOLS:
        symbolRows(f);
        break;
    }
    controlRow(f);
    ImGui::PopStyleVar(2);
}

} // namespace shensu::kiosk::ui
