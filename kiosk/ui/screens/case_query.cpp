// Case query (案件進度查詢, seed 000 3.2): the case number and the verification code typed on a
// large digit keypad; the code shown in groups of four; the kiosk's own checks and central's
// answers as one message under the fields.
#include "screens/screens.hpp"

#include <algorithm>

namespace shensu::kiosk::ui
{

namespace
{

    // One field: its label, then its value in the receipt font in a tappable box (the keypad's
    // target is framed in the accent colour); the hint while empty.
    void queryField(Frame& f, QueryField field, const char* id, const char* labelKey,
        const char* hintKey, const std::string& shown, float width)
    {
        ImGui::TextUnformatted(f.tr(labelKey).c_str());
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const float height = 96.0f;
        if (button(f, id, "##value", { width, height })) f.emit(SelectQueryField { field });
        ImDrawList* draw = ImGui::GetWindowDrawList();
        const Palette& p = f.colors();
        if (f.state.queryField == field) {
            draw->AddRect(at, ImVec2(at.x + width, at.y + height),
                ImGui::GetColorU32(toVec4(p.accent)), 6.0f, 0, 4.0f);
        }
        if (shown.empty()) {
            const std::string hint = f.tr(hintKey);
            const ImVec2 size = ImGui::CalcTextSize(hint.c_str());
            draw->AddText(ImVec2(at.x + 20, at.y + (height - size.y) / 2),
                ImGui::GetColorU32(toVec4(p.textMuted)), hint.c_str());
            return;
        }
        ImGui::PushFont(f.ui.fonts.receipt);
        const ImVec2 size = ImGui::CalcTextSize(shown.c_str());
        draw->AddText(ImVec2(at.x + 20, at.y + (height - size.y) / 2),
            ImGui::GetColorU32(toVec4(p.buttonText)), shown.c_str());
        ImGui::PopFont();
    }

} // namespace

void drawCaseQuery(Frame& f)
{
    const State& s = f.state;
    title(f, f.tr("case_query.title"));
    paragraph(f.tr("case_query.body"));
    ImGui::Spacing();

    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float avail = ImGui::GetContentRegionAvail().x;
    const float keyWidth = std::min(150.0f, (avail * 0.42f - 2 * gap) / 3);
    const float keyHeight = std::max(TOUCH_HEIGHT, 80.0f);
    const float leftWidth = avail - 3 * keyWidth - 2 * gap - 3 * gap;

    ImGui::BeginGroup();
    queryField(f, QueryField::CASE_NUMBER, "case_query.case_number", "case_query.case_number",
        "case_query.case_number_hint", formatCaseNumber(s.queryCaseNumber), leftWidth);
    ImGui::Spacing();
    queryField(f, QueryField::CODE, "case_query.code", "case_query.code", "case_query.code_hint",
        groupDigits(s.queryCode), leftWidth);
    if (!s.queryMessageKey.empty()) {
        // Wrapped inside the left column (errorText wraps at the window's edge, under the keypad).
        ImGui::Spacing();
        const std::string message = f.trf(
            s.queryMessageKey.c_str(), { { "minutes", std::to_string(s.queryRetryMinutes) } });
        ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().error));
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + leftWidth);
        ImGui::TextUnformatted(message.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    ImGui::EndGroup();

    // The keypad: 1-9, then clear / 0 / backspace. Keys go to the framed field.
    ImGui::SameLine(0, 3 * gap);
    ImGui::BeginGroup();
    auto key = [&](const std::string& id, const std::string& label, char k, bool big) {
        if (big) ImGui::PushFont(f.ui.fonts.title);
        const bool pressed = button(f, id, label, { keyWidth, keyHeight });
        if (big) ImGui::PopFont();
        if (pressed) f.emit(QueryKey { s.queryField, k });
    };
    static constexpr char LAYOUT[] = "123456789";
    for (int row = 0; row < 3; ++row) {
        for (int col = 0; col < 3; ++col) {
            if (col > 0) ImGui::SameLine();
            const char d = LAYOUT[row * 3 + col];
            key(std::string("case_query.digit.") + d, std::string(1, d), d, true);
        }
    }
    key("case_query.clear", f.tr("case_query.clear"), 'C', false);
    ImGui::SameLine();
    key("case_query.digit.0", "0", '0', true);
    ImGui::SameLine();
    key("case_query.backspace", f.tr("case_query.backspace"), '<', false);
    ImGui::EndGroup();

    beginFooter();
    if (button(f, "case_query.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "case_query.submit", f.tr("case_query.submit"), { -1, TOUCH_HEIGHT }))
        f.emit(SubmitQuery {});
}

} // namespace shensu::kiosk::ui
