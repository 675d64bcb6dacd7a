// The complaint form, drawn from the form definition: text fields, the 身分別 choice, the facts
// with a live counter.
#include "screens/screens.hpp"

#include <imgui_stdlib.h>

namespace shensu::kiosk::ui
{

namespace
{

    std::string answerOf(const State& s, const std::string& id)
    {
        const auto it = s.answers.find(id);
        return it == s.answers.end() ? std::string {} : it->second;
    }

    bool isRequired(const State& s, const FormField& field)
    {
        return field.required == Requirement::ALWAYS
            || (field.required == Requirement::IDENTIFIED && s.filer == Filer::HEALTH_CARD);
    }

    void issuesFor(Frame& f, const std::string& id)
    {
        for (const auto& issue : f.state.issues) {
            if (issue.field == id) errorText(f.trf(issue.messageKey.c_str(), issue.params));
        }
    }

    void label(Frame& f, const FormField& field)
    {
        std::string text = f.tr(field.labelKey);
        if (isRequired(f.state, field)) text += f.tr("form.required_mark");
        ImGui::TextUnformatted(text.c_str());
    }

    // A thick accent frame around the field the on-screen keyboard types into.
    void markKeyboardTarget(Frame& f, const std::string& id)
    {
        if (f.ui.keyboard.target != id) return;
        ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(),
            ImGui::GetColorU32(toVec4(f.colors().accent)), 8.0f, 0, 3.0f);
    }

    void textField(Frame& f, const std::string& id)
    {
        std::string value = answerOf(f.state, id);
        ImGui::SetNextItemWidth(-1);
        if (f.ui.focusField == id) {
            ImGui::SetKeyboardFocusHere(); // tapped on the review screen: ready to type
            f.ui.focusField.clear();
        }
        if (ImGui::InputTextWithHint(
                ("##" + id).c_str(), f.tr("form.placeholder").c_str(), &value)) {
            f.emit(EditField { id, value });
        }
        if (ImGui::IsItemActivated() && f.ui.keyboard.target != id) {
            f.ui.keyboard.target = id; // the on-screen keyboard types here
            f.ui.scrollTo = "form." + id; // and it must stay in view above the keyboard
        }
        markKeyboardTarget(f, id);
        registerItem(f, "form." + id);
    }

    void choiceField(Frame& f, const FormField& field)
    {
        const std::string chosen = answerOf(f.state, field.id);
        const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
        const ImGuiStyle& style = ImGui::GetStyle();
        bool first = true;
        int index = 0;
        for (const auto& option : field.options) {
            const std::string& text = f.tr(option.labelKey);
            const float width = ImGui::CalcTextSize(text.c_str()).x + style.FramePadding.x * 2 + 16;
            // Flow layout: stay on this row while the chip fits.
            if (!first) {
                const float next = ImGui::GetItemRectMax().x + style.ItemSpacing.x;
                if (next + width <= right) ImGui::SameLine();
            }
            first = false;
            const std::string id = "form." + field.id + "." + option.id;
            const bool pressed = option.id == chosen ? primaryButton(f, id, text, { width, 0 })
                                                     : button(f, id, text, { width, 0 });
            // Also reachable by position ("form.identity.0"), for scripts that don't know the
            // option ids.
            registerItem(f, "form." + field.id + "." + std::to_string(index));
            ++index;
            if (pressed) f.emit(EditField { field.id, option.id });
        }
        for (const auto& option : field.options) {
            if (option.freeText && option.id == chosen) {
                ImGui::TextUnformatted(f.tr("form.identity_other.label").c_str());
                textField(f, field.freeTextId);
                issuesFor(f, field.freeTextId);
            }
        }
    }

    void multilineField(Frame& f, const FormField& field)
    {
        if (!field.hintKey.empty()) paragraph(f.tr(field.hintKey));
        std::string value = answerOf(f.state, field.id);
        const ImVec2 size(-1, 240);
        if (f.ui.editing == field.id) {
            // ImGui 1.86's multiline input cannot wrap; it is only shown while the person is
            // typing.
            if (ImGui::IsWindowAppearing() || !ImGui::IsAnyItemActive())
                ImGui::SetKeyboardFocusHere();
            if (ImGui::InputTextMultiline(("##" + field.id).c_str(), &value, size))
                f.emit(EditField { field.id, value });
            markKeyboardTarget(f, field.id);
            registerItem(f, "form." + field.id);
            if (ImGui::IsItemDeactivated()) f.ui.editing.clear();
        } else {
            // At rest the text is shown wrapped, as the person will read it on the review screen; a
            // tap edits it.
            ImGui::PushStyleColor(ImGuiCol_ChildBg, ImGui::GetStyleColorVec4(ImGuiCol_FrameBg));
            ImGui::BeginChild(("view." + field.id).c_str(), size, true);
            if (value.empty()) {
                ImGui::PushStyleColor(
                    ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
                paragraph(f.tr("form.placeholder"));
                ImGui::PopStyleColor();
            } else {
                paragraph(value);
            }
            ImGui::EndChild();
            ImGui::PopStyleColor();
            markKeyboardTarget(f, field.id);
            registerItem(f, "form." + field.id);
            if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem)
                && ImGui::IsMouseReleased(ImGuiMouseButton_Left)
                && ImGui::GetIO().MouseDragMaxDistanceSqr[0] < 36.0f) { // a tap, not a scroll
                f.ui.editing = field.id;
                f.ui.keyboard.target = field.id;
                f.ui.scrollTo = "form." + field.id;
            }
        }
        if (!field.counterKey.empty()) {
            const long remaining = remainingCharacters(f.state, field.id);
            const std::string counter = f.ui.catalogue->format(f.state.language, field.counterKey,
                { { "remaining", std::to_string(remaining) },
                    { "max", std::to_string(field.maxLength) } });
            if (remaining < 0) {
                errorText(counter);
            } else {
                ImGui::TextUnformatted(counter.c_str());
            }
        }
    }

} // namespace

void drawForm(Frame& f)
{
    const Form& form = *f.state.form;
    if (!f.ui.focusField.empty()) {
        // Coming back from the review screen to one answer: bring it into view (and focus it).
        const FormField* field = form.field(f.ui.focusField);
        if (field != nullptr && field->type == FieldType::CHOICE) {
            f.ui.scrollTo = "form." + field->id + ".0";
            f.ui.focusField.clear();
        } else if (field != nullptr && field->type == FieldType::MULTILINE) {
            f.ui.scrollTo = "form." + field->id;
            f.ui.editing = field->id;
            f.ui.focusField.clear();
        } else {
            f.ui.scrollTo = "form." + f.ui.focusField;
        }
    }
    const bool keyboard = !f.ui.keyboard.target.empty();
    // With the keyboard up, the title and the note make room; the fields keep what is left.
    if (!keyboard) {
        title(f, f.tr(form.titleKey));
        if (f.state.filer == Filer::HEALTH_CARD) {
            paragraph(f.trf("form.identified_note", { { "name", f.state.cardHolderName } }));
        } else {
            notice(f.tr("form.anonymous_note"));
        }
    }

    const float bottom
        = footerTop() - ImGui::GetStyle().ItemSpacing.y - (keyboard ? keyboardHeight() : 0.0f);
    ImGui::BeginChild("fields", ImVec2(0, bottom - ImGui::GetCursorPosY()), true);
    paragraph(f.tr(form.introKey));
    for (const auto& field : form.fields) {
        ImGui::Spacing();
        label(f, field);
        switch (field.type) {
        case FieldType::TEXT:
            textField(f, field.id);
            if (!field.hintKey.empty()) {
                ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
                paragraph(f.tr(field.hintKey));
                ImGui::PopStyleColor();
            }
            break;
        case FieldType::CHOICE:
            choiceField(f, field);
            break;
        case FieldType::MULTILINE:
            multilineField(f, field);
            break;
        }
        issuesFor(f, field.id);
    }
    f.ui.focusField.clear(); // a field not on the form (any more) is not waited for
    dragToScroll();
    ImGui::EndChild();
    if (keyboard) drawKeyboard(f);

    beginFooter();
    if (button(f, "form.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(AskEndSession {});
    ImGui::SameLine();
    if (!f.state.issues.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().error));
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(f.tr("form.fix_errors").c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine();
    }
    const float width = 360;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "form.submit", f.tr("form.submit"), { width, TOUCH_HEIGHT }))
        f.emit(ReviewForm {});
}

} // namespace shensu::kiosk::ui
