// Review: every answer as the person wrote it, who is filing, then confirm or go back to edit.
#include "screens/screens.hpp"

#include <algorithm>

namespace shensu::kiosk::ui
{

namespace
{

    void entry(Frame& f, const std::string& label, const std::string& value)
    {
        ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
        ImGui::TextUnformatted(label.c_str());
        ImGui::PopStyleColor();
        ImGui::Indent(24);
        paragraph(value.empty() ? f.tr("review.empty") : value);
        ImGui::Unindent(24);
    }

    // An answer the person can tap to change: the form opens at that field.
    void editableEntry(
        Frame& f, const std::string& answerId, const std::string& label, const std::string& value)
    {
        const float top = ImGui::GetCursorScreenPos().y;
        ImGui::BeginGroup();
        entry(f, label + "  " + f.tr("review.tap_to_edit"), value);
        ImGui::EndGroup();
        // The whole row, full width, at least a finger high.
        const float left = ImGui::GetWindowPos().x;
        const float right = left + ImGui::GetWindowContentRegionMax().x;
        const float bottom = std::max(ImGui::GetItemRectMax().y, top + 48.0f);
        ImGui::SetCursorScreenPos(ImVec2(left + ImGui::GetStyle().WindowPadding.x, top));
        // Not a button: a finger dragged across the answers must still scroll them.
        ImGui::Dummy(ImVec2(right - left - ImGui::GetStyle().WindowPadding.x, bottom - top));
        const bool hovered = ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem);
        const bool tapped = hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left)
            && withinTapSlop(); // a tap, not a scroll
        if (hovered && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
            ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(),
                ImGui::GetColorU32(toVec4(f.colors().accent)), 6.0f, 0, 3.0f);
        }
        registerItem(f, "review.answer." + answerId);
        if (tapped) {
            f.ui.focusField = answerId;
            f.emit(EditAgain { answerId });
        }
    }

    std::string displayValue(Frame& f, const FormField& field, const std::string& prefix)
    {
        const auto it = f.state.answers.find(prefix + field.id);
        if (it == f.state.answers.end()) return {};
        if (!field.isChoice()) return it->second;
        std::string text;
        for (const auto& id : splitChoices(it->second)) {
            for (const auto& o : field.options) {
                if (o.id != id) continue;
                if (!text.empty()) text += "、";
                text += f.tr(o.labelKey);
                const auto other = f.state.answers.find(prefix + field.freeTextId);
                if (o.freeText && other != f.state.answers.end()) text += "：" + other->second;
            }
        }
        return text;
    }

    void entries(Frame& f, const std::vector<FormField>& fields, const std::string& prefix,
        const std::string& item)
    {
        for (const auto& field : fields) {
            const std::string answerId = prefix + field.id;
            if (field.type == FieldType::GROUP) {
                const auto it = f.state.answers.find(answerId);
                const std::size_t n
                    = groupItems(field, it == f.state.answers.end() ? std::string {} : it->second);
                for (std::size_t i = 0; i < n; ++i) {
                    entries(f, field.fields, answerId + "." + std::to_string(i) + ".",
                        f.trf("form.group.item", { { "n", std::to_string(i + 1) } }) + "：");
                }
                continue;
            }
            editableEntry(f, answerId, item + f.tr(field.labelKey), displayValue(f, field, prefix));
        }
    }

} // namespace

void drawReview(Frame& f)
{
    title(f, f.tr("review.title"));
    paragraph(f.tr("review.tap_hint"));
    const float bottom = footerTop() - ImGui::GetStyle().ItemSpacing.y;
    ImGui::BeginChild("answers", ImVec2(0, bottom - ImGui::GetCursorPosY()), true);
    entry(f, f.tr("review.filer"),
        f.state.filer == Filer::HEALTH_CARD
            ? f.trf("review.filer_health_card", { { "name", f.state.cardHolderName } })
            : f.tr("review.filer_anonymous"));
    entries(f, f.state.form->fields, "", "");
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
