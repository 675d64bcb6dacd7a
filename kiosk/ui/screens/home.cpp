// Home: the four ways in — citizen certificate, health card, anonymous, case progress query.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

namespace
{

    // A big tile: the label in the title font, an optional "coming soon" line under it.
    bool tile(Frame& f, const char* id, const std::string& label, const std::string& badge,
        ImVec2 size, bool primary)
    {
        const ImVec2 pos = ImGui::GetCursorScreenPos();
        ImGui::PushFont(f.ui.fonts.title);
        const bool pressed
            = primary ? primaryButton(f, id, "##tile", size) : button(f, id, "##tile", size);
        ImDrawList* draw = ImGui::GetWindowDrawList();
        const Palette& p = f.colors();
        const ImU32 color = ImGui::GetColorU32(toVec4(primary ? p.accentText : p.buttonText));
        const ImVec2 text = ImGui::CalcTextSize(label.c_str());
        const float lineGap = badge.empty() ? 0.0f : ImGui::GetFontSize() * 0.6f;
        draw->AddText(
            ImVec2(pos.x + (size.x - text.x) / 2, pos.y + (size.y - text.y) / 2 - lineGap), color,
            label.c_str());
        ImGui::PopFont();
        if (!badge.empty()) {
            const ImVec2 b = ImGui::CalcTextSize(badge.c_str());
            draw->AddText(
                ImVec2(pos.x + (size.x - b.x) / 2, pos.y + size.y / 2 + text.y / 2 - lineGap + 4),
                ImGui::GetColorU32(toVec4(p.notice)), badge.c_str());
        }
        return pressed;
    }

} // namespace

void drawHome(Frame& f)
{
    title(f, f.tr("home.welcome"));
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
    const ImVec2 size(w, 170);

    if (tile(f, "home.health_card", f.tr("home.health_card"), {}, size, true))
        f.emit(ChooseHealthCard {});
    ImGui::SameLine();
    if (tile(f, "home.anonymous", f.tr("home.anonymous"), {}, size, true))
        f.emit(ChooseAnonymous {});
    if (tile(f, "home.citizen_cert", f.tr("home.citizen_cert"), {}, size, true)) {
        f.emit(ChooseCitizenCertificate {});
    }
    ImGui::SameLine();
    if (tile(f, "home.case_query", f.tr("home.case_query"), {}, size, false)) {
        f.emit(ChooseCaseQuery {});
    }
    // Display: larger text and a high-contrast theme, for this session (reset when it ends).
    ImGui::Spacing();
    const float half = (ImGui::GetContentRegionAvail().x - gap) / 2;
    if (button(f, "home.text_size",
            f.tr(f.state.largeText ? "home.normal_text" : "home.large_text"),
            { half, TOUCH_HEIGHT })) {
        f.emit(SetDisplay { !f.state.largeText, f.state.highContrast });
    }
    ImGui::SameLine();
    if (button(f, "home.contrast",
            f.tr(f.state.highContrast ? "home.normal_contrast" : "home.high_contrast"),
            { half, TOUCH_HEIGHT })) {
        f.emit(SetDisplay { f.state.largeText, !f.state.highContrast });
    }
    if (!f.state.noticeKey.empty()) {
        ImGui::Spacing();
        notice(f.tr(f.state.noticeKey));
    }
}

} // namespace shensu::kiosk::ui
