// Review: every answer as the person wrote it, who is filing, then confirm or go back to edit.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

namespace
{

    void entry(Frame& f, const std::string& label, const std::string& value)
    {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.35f, 0.38f, 0.42f, 1.0f));
        ImGui::TextUnformatted(label.c_str());
        ImGui::PopStyleColor();
        ImGui::Indent(24);
        paragraph(value.empty() ? f.tr("review.empty") : value);
        ImGui::Unindent(24);
    }

    std::string displayValue(Frame& f, const FormField& field)
    {
        const auto it = f.state.answers.find(field.id);
        if (it == f.state.answers.end()) return {};
        if (field.type != FieldType::CHOICE) return it->second;
        for (const auto& o : field.options) {
            if (o.id != it->second) continue;
            std::string text = f.tr(o.labelKey);
            const auto other = f.state.answers.find(field.freeTextId);
            if (o.freeText && other != f.state.answers.end()) text += "：" + other->second;
            return text;
        }
        return it->second;
    }

} // namespace

void drawReview(Frame& f)
{
    title(f, f.tr("review.title"));
    const float bottom = footerTop() - ImGui::GetStyle().ItemSpacing.y;
    ImGui::BeginChild("answers", ImVec2(0, bottom - ImGui::GetCursorPosY()), true);
    entry(f, f.tr("review.filer"),
        f.state.filer == Filer::HEALTH_CARD
            ? f.trf("review.filer_health_card", { { "name", f.state.cardHolderName } })
            : f.tr("review.filer_anonymous"));
    for (const auto& field : f.state.form->fields)
        entry(f, f.tr(field.labelKey), displayValue(f, field));
    dragToScroll();
    ImGui::EndChild();

    beginFooter();
    if (button(f, "review.edit", f.tr("review.edit"), { 300, TOUCH_HEIGHT })) f.emit(EditAgain {});
    ImGui::SameLine();
    const float width = 360;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "review.confirm", f.tr("review.confirm"), { width, TOUCH_HEIGHT }))
        f.emit(ConfirmFiling {});
}

} // namespace shensu::kiosk::ui
