// The end of a session in the UI: ImGui keeps its own copy of the text being edited (and an undo
// buffer); overwrite them so nothing of one person's complaint survives into the next session.
#include "kiosk/ui/frame.hpp"

#include <cstring>

#include <imgui.h>
#include <imgui_internal.h> // ImGuiInputTextState, the clipboard fallback buffer

namespace shensu::kiosk::ui
{

namespace
{
    template<typename T> void scrub(ImVector<T>& v)
    {
        if (v.Data != nullptr)
            explicit_bzero(v.Data, static_cast<std::size_t>(v.Capacity) * sizeof(T));
        v.clear(); // frees the buffer
    }
} // namespace

void wipeSession(UiContext& ui)
{
    ui.editing.clear();
    ui.focusField.clear();
    ui.scrollTo.clear();
    ui.keyboard.target.clear();
    ui.keyboard.mode = KeyboardMode::ZHUYIN;
    ui.keyboard.shift = false;
    ui.keyboard.zhuyin.reset(); // libchewing's context, pre-edit and anything learned: gone
    explicit_bzero(ui.ime.text.data(), ui.ime.text.size()); // a system IME's pre-edit
    ui.ime = {};
    if (ImGui::GetCurrentContext() == nullptr) return;
    ImGuiContext& g = *ImGui::GetCurrentContext();
    ImGui::ClearActiveID();
    ImGuiInputTextState& edit = g.InputTextState;
    scrub(edit.TextW);
    scrub(edit.TextA);
    scrub(edit.InitialTextA);
    explicit_bzero(&edit.Stb, sizeof edit.Stb); // the undo buffer holds typed characters
    edit.ID = 0;
    edit.CurLenA = edit.CurLenW = 0;
    edit.TextAIsValid = false;
    scrub(g.ClipboardHandlerData); // ImGui's own clipboard when no platform backend is set
}

} // namespace shensu::kiosk::ui
