// Touch-sized widgets that register their rectangles under stable ids.
#include "screens/screens.hpp"

#include <imgui_internal.h> // the active id and the window's move handle

namespace shensu::kiosk::ui
{

namespace
{
    const Palette* current = &normalPalette();
} // namespace

bool withinTapSlop()
{
    return ImGui::GetIO().MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < DRAG_SLOP * DRAG_SLOP;
}

ImVec4 toVec4(Rgb c, float alpha)
{
    return ImVec4(c.r, c.g, c.b, alpha);
}

const Palette& currentPalette()
{
    return *current;
}

void setCurrentPalette(const Palette& p)
{
    current = &p;
}

const WidgetRect* WidgetRegistry::find(const std::string& id) const
{
    const auto it = rects_.find(id);
    return it == rects_.end() ? nullptr : &it->second;
}

std::vector<std::string> WidgetRegistry::ids() const
{
    std::vector<std::string> out;
    for (const auto& [id, rect] : rects_)
        out.push_back(id);
    return out;
}

void registerItem(Frame& f, const std::string& id)
{
    if (f.ui.scrollTo == id) {
        ImGui::SetScrollHereY(0.5f);
        f.ui.scrollTo.clear();
    }
    const ImVec2 min = ImGui::GetItemRectMin();
    const ImVec2 max = ImGui::GetItemRectMax();
    // Tappable only when its centre is inside the window's visible (clipped) area.
    const ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 clipMin = draw->GetClipRectMin();
    const ImVec2 clipMax = draw->GetClipRectMax();
    const float cx = (min.x + max.x) / 2;
    const float cy = (min.y + max.y) / 2;
    const bool visible = cx >= clipMin.x && cx <= clipMax.x && cy >= clipMin.y && cy <= clipMax.y;
    f.ui.widgets.add(id, WidgetRect { min.x, min.y, max.x, max.y, visible });
}

bool button(Frame& f, const std::string& id, const std::string& label, ImVec2 size)
{
    const bool pressed = ImGui::Button((label + "##" + id).c_str(), size);
    registerItem(f, id);
    return pressed;
}

bool primaryButton(Frame& f, const std::string& id, const std::string& label, ImVec2 size)
{
    const Palette& p = currentPalette();
    ImGui::PushStyleColor(ImGuiCol_Button, toVec4(p.accent));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, toVec4(p.accentHovered));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, toVec4(p.accentActive));
    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(p.accentText));
    const bool pressed = button(f, id, label, size);
    ImGui::PopStyleColor(4);
    return pressed;
}

void title(Frame& f, const std::string& text)
{
    ImGui::PushFont(f.ui.fonts.title);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopFont();
    ImGui::Spacing();
}

void paragraph(const std::string& text)
{
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
}

void notice(const std::string& text)
{
    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(currentPalette().notice));
    paragraph(text);
    ImGui::PopStyleColor();
}

void errorText(const std::string& text)
{
    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(currentPalette().error));
    paragraph(text);
    ImGui::PopStyleColor();
}

void dragToScroll()
{
    const ImGuiIO& io = ImGui::GetIO();
    ImGuiStorage* storage = ImGui::GetStateStorage();
    const ImGuiID dragging = ImGui::GetID("##drag-to-scroll");
    const ImGuiID pressedOn = ImGui::GetID("##drag-pressed-on");
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
        storage->SetBool(dragging, false);
        storage->SetInt(pressedOn, 0);
        return;
    }
    ImGuiContext& g = *ImGui::GetCurrentContext();
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
        // Decided at the press: on this window's (or a child's, like the facts field's wrapped
        // view) empty space or text, on its scrollbar, or on a widget. A press on empty space
        // makes that window's (immovable) move handle the active id; any other active id but the
        // scrollbar is a real widget.
        const ImGuiWindow* window = ImGui::GetCurrentWindow();
        const ImGuiID active = ImGui::GetActiveID();
        const bool moveHandle = active == window->MoveId || active == window->RootWindow->MoveId
            || (g.ActiveIdWindow != nullptr && active == g.ActiveIdWindow->MoveId);
        // The scrollbar's thumb scrolls by itself (the other way round): not a drag to take over.
        const bool onScrollbar = active != 0
            && (active == ImGui::GetWindowScrollbarID(g.CurrentWindow, ImGuiAxis_Y)
                || (g.ActiveIdWindow != nullptr
                    && active == ImGui::GetWindowScrollbarID(g.ActiveIdWindow, ImGuiAxis_Y)));
        const bool onWidget = active != 0 && !moveHandle && !onScrollbar;
        const bool here = !onScrollbar
            && ImGui::IsWindowHovered(
                ImGuiHoveredFlags_AllowWhenBlockedByActiveItem | ImGuiHoveredFlags_ChildWindows);
        storage->SetBool(dragging, here && !onWidget);
        // A text field already being edited keeps its finger (the caret, a selection); one
        // that this press activated can still turn into a scroll.
        const bool editingText
            = onWidget && active == g.InputTextState.ID && active == g.ActiveIdPreviousFrame;
        storage->SetInt(pressedOn, here && onWidget && !editingText ? static_cast<int>(active) : 0);
    }
    // A finger that moves on a button, a choice or a field it pressed: once it has moved further
    // than a tap's wobble it scrolls like on empty space, and the widget under it lets go, so
    // lifting the finger presses nothing (ImGui only presses on release over an active item).
    // Only where there is something to scroll: elsewhere a wobbling finger still taps.
    const auto pressed = static_cast<ImGuiID>(storage->GetInt(pressedOn));
    if (pressed != 0 && ImGui::GetCurrentWindow()->ScrollMax.y > 0.0f
        && ImGui::IsMouseDragging(ImGuiMouseButton_Left, DRAG_SLOP)) {
        if (ImGui::GetActiveID() == pressed) ImGui::ClearActiveID();
        storage->SetInt(pressedOn, 0);
        storage->SetBool(dragging, true);
    }
    // The finger may leave the window while dragging; the scroll follows it until it lifts.
    if (storage->GetBool(dragging) && ImGui::IsMouseDragging(ImGuiMouseButton_Left, DRAG_SLOP)) {
        ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
    }
}

float footerTop()
{
    const ImGuiStyle& style = ImGui::GetStyle();
    return ImGui::GetWindowHeight() - style.WindowPadding.y - TOUCH_HEIGHT;
}

void beginFooter()
{
    ImGui::SetCursorPosY(footerTop());
}

} // namespace shensu::kiosk::ui
