// The complaint form, drawn from the form definition: text fields, the 身分別 choice, the facts
// with a live counter.
#include "screens/screens.hpp"

#include <algorithm>

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

    bool isRequired(const State& s, const FormField& field, const std::string& prefix)
    {
        if (field.required == Requirement::ALWAYS) return true;
        if (field.required == Requirement::IDENTIFIED && s.filer == Filer::HEALTH_CARD) return true;
        if (field.requiredWhenField.empty()) return false;
        for (const auto& id : splitChoices(answerOf(s, prefix + field.requiredWhenField))) {
            if (id == field.requiredWhenValue) return true;
        }
        return false;
    }

    void issuesFor(Frame& f, const std::string& id)
    {
        for (const auto& issue : f.state.issues) {
            if (issue.field == id) errorText(f.trf(issue.messageKey.c_str(), issue.params));
        }
    }

    void label(Frame& f, const FormField& field, const std::string& prefix)
    {
        std::string text = f.tr(field.labelKey);
        if (isRequired(f.state, field, prefix)) text += f.tr("form.required_mark");
        if (field.type == FieldType::MULTI_CHOICE) text += "  " + f.tr("form.multichoice_hint");
        paragraph(text);
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
        // A finger's tap (released without travelling: a drag scrolls the form instead), or the
        // keyboard focus the review screen asked for.
        const bool tapped = ImGui::IsItemActive() && ImGui::IsMouseReleased(ImGuiMouseButton_Left)
            && withinTapSlop();
        const bool focused = ImGui::IsItemActivated() && !ImGui::IsMouseDown(ImGuiMouseButton_Left);
        if ((tapped || focused) && f.ui.keyboard.target != id) {
            f.ui.keyboard.target = id; // the on-screen keyboard types here
            f.ui.scrollTo = "form." + id; // and it must stay in view above the keyboard
        }
        markKeyboardTarget(f, id);
        registerItem(f, "form." + id);
    }

    void choiceField(Frame& f, const FormField& field, const std::string& prefix)
    {
        const std::string answerId = prefix + field.id;
        const std::string answer = answerOf(f.state, answerId);
        const bool multi = field.type == FieldType::MULTI_CHOICE;
        const std::vector<std::string> chosen
            = multi ? splitChoices(answer) : std::vector<std::string> { answer };
        auto isChosen = [&](const std::string& id) {
            return std::find(chosen.begin(), chosen.end(), id) != chosen.end();
        };
        const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
        const ImGuiStyle& style = ImGui::GetStyle();
        bool first = true;
        int index = 0;
        bool freeTextChosen = false;
        for (const auto& option : field.options) {
            const std::string& text = f.tr(option.labelKey);
            const float natural
                = ImGui::CalcTextSize(text.c_str()).x + style.FramePadding.x * 2 + 16;
            const float width = std::min(natural, right - ImGui::GetCursorScreenPos().x);
            // Flow layout: stay on this row while the chip fits.
            if (!first) {
                const float next = ImGui::GetItemRectMax().x + style.ItemSpacing.x;
                if (next + natural <= right) ImGui::SameLine();
            }
            first = false;
            const std::string id = "form." + answerId + "." + option.id;
            const bool on = isChosen(option.id);
            freeTextChosen = freeTextChosen || (on && option.freeText);
            const bool pressed
                = on ? primaryButton(f, id, text, { width, 0 }) : button(f, id, text, { width, 0 });
            // Also reachable by position ("form.identity.0"), for scripts that don't know the
            // option ids.
            registerItem(f, "form." + answerId + "." + std::to_string(index));
            ++index;
            if (!pressed) continue;
            if (!multi) {
                f.emit(EditField { answerId, option.id });
                continue;
            }
            // Multiple choice: a tap toggles the option; the answer keeps the form's order.
            std::string next;
            for (const auto& o : field.options) {
                if (isChosen(o.id) != (o.id == option.id)) next += (next.empty() ? "" : ",") + o.id;
            }
            f.emit(EditField { answerId, next });
        }
        if (freeTextChosen) {
            const std::string own = "form." + field.freeTextId + ".label";
            ImGui::TextUnformatted(
                f.tr(f.ui.catalogue->has(f.state.language, own) ? own : "form.other_text.label")
                    .c_str());
            textField(f, prefix + field.freeTextId);
            issuesFor(f, prefix + field.freeTextId);
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
                && withinTapSlop()) { // a tap, not a scroll
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

    void drawFields(Frame& f, const std::vector<FormField>& fields, const std::string& prefix)
    {
        for (const auto& field : fields) {
            const std::string answerId = prefix + field.id;
            ImGui::Spacing();
            if (field.type == FieldType::GROUP) {
                // A repeatable group: each item's fields, then add / remove-last.
                ImGui::PushFont(f.ui.fonts.title);
                paragraph(f.tr(field.labelKey));
                ImGui::PopFont();
                const std::size_t items = groupItems(field, answerOf(f.state, answerId));
                for (std::size_t i = 0; i < items; ++i) {
                    ImGui::Spacing();
                    notice(f.trf("form.group.item", { { "n", std::to_string(i + 1) } }));
                    ImGui::Indent(24);
                    drawFields(f, field.fields, answerId + "." + std::to_string(i) + ".");
                    ImGui::Unindent(24);
                }
                if (items < field.maxItems
                    && button(f, "form." + answerId + ".add", f.tr("form.group.add"),
                        { 300, TOUCH_HEIGHT }))
                    f.emit(EditField { answerId, std::to_string(items + 1) });
                if (items > field.minItems) {
                    if (items < field.maxItems) ImGui::SameLine();
                    if (button(f, "form." + answerId + ".remove", f.tr("form.group.remove"),
                            { 300, TOUCH_HEIGHT }))
                        f.emit(EditField { answerId, std::to_string(items - 1) });
                }
                continue;
            }
            label(f, field, prefix);
            switch (field.type) {
            case FieldType::TEXT:
            case FieldType::PHONE:
            case FieldType::EMAIL:
            case FieldType::DATE_ROC:
                textField(f, answerId);
                if (!field.hintKey.empty()) {
                    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
                    paragraph(f.tr(field.hintKey));
                    ImGui::PopStyleColor();
                }
                break;
            case FieldType::CHOICE:
            case FieldType::MULTI_CHOICE:
                choiceField(f, field, prefix);
                break;
            case FieldType::MULTILINE:
                multilineField(f, field);
                break;
            case FieldType::GROUP:
                break;
            }
            issuesFor(f, answerId);
        }
    }

} // namespace

void drawForm(Frame& f)
{
    const Form& form = *f.state.form;
    if (!f.ui.focusField.empty()) {
        // Coming back from the review screen to one answer: bring it into view (and focus it).
        const FormField* field = form.fieldOfAnswer(f.ui.focusField);
        if (field != nullptr && field->type == FieldType::GROUP) {
            f.ui.scrollTo = "form." + f.ui.focusField + ".add";
            f.ui.focusField.clear();
        } else if (field != nullptr && field->isChoice()
            && field->freeTextId != f.ui.focusField.substr(f.ui.focusField.rfind('.') + 1)) {
            f.ui.scrollTo = "form." + f.ui.focusField + ".0";
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
    drawFields(f, form.fields, "");
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
