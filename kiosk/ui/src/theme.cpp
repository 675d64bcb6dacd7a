// The kiosk's look: a light theme sized for fingers (targets ≥ 44 px at 1280×800), no rounding
// games.
#include "kiosk/ui/frame.hpp"

#include <imgui.h>

namespace shensu::kiosk::ui
{

void applyTheme()
{
    ImGui::StyleColorsLight();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowPadding = ImVec2(32, 24);
    s.FramePadding = ImVec2(18, 14);
    s.ItemSpacing = ImVec2(16, 14);
    s.ItemInnerSpacing = ImVec2(12, 10);
    s.TouchExtraPadding = ImVec2(4, 4);
    s.ScrollbarSize = 28;
    s.GrabMinSize = 40;
    s.FrameRounding = 8;
    s.FrameBorderSize = 1;
    s.WindowBorderSize = 0;
    s.WindowRounding = 0;
    s.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.95f, 1.0f);
    s.Colors[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
    s.Colors[ImGuiCol_Button] = ImVec4(0.86f, 0.90f, 0.95f, 1.0f);
    s.Colors[ImGuiCol_ButtonHovered] = ImVec4(0.78f, 0.85f, 0.94f, 1.0f);
    s.Colors[ImGuiCol_ButtonActive] = ImVec4(0.66f, 0.77f, 0.90f, 1.0f);
    s.Colors[ImGuiCol_FrameBg] = ImVec4(1, 1, 1, 1);
    s.Colors[ImGuiCol_Border] = ImVec4(0.55f, 0.58f, 0.62f, 1.0f);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // nothing written to disk
    io.LogFilename = nullptr;
    io.ConfigInputTextCursorBlink = false; // no redraws just to blink: an idle kiosk stays idle
}

} // namespace shensu::kiosk::ui
