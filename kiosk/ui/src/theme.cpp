// The kiosk's look: a light theme sized for fingers (targets ≥ 44 px at 1280×800), and a
// high-contrast theme (white and yellow on black). Every text colour reaches WCAG 4.5:1 on its
// background (tests/kiosk/theme_test.cpp).
#include "kiosk/ui/theme.hpp"

#include "kiosk/ui/frame.hpp"

#include <algorithm>
#include <cmath>

#include <imgui.h>

namespace shensu::kiosk::ui
{

const Palette& normalPalette() noexcept
{
    static const Palette p {
        .background = { 0.97f, 0.97f, 0.95f },
        .surface = { 1, 1, 1 },
        .text = { 0, 0, 0 },
        .textMuted = { 0.33f, 0.36f, 0.40f },
        .button = { 0.86f, 0.90f, 0.95f },
        .buttonHovered = { 0.78f, 0.85f, 0.94f },
        .buttonActive = { 0.66f, 0.77f, 0.90f },
        .buttonText = { 0, 0, 0 },
        .accent = { 0.10f, 0.42f, 0.70f },
        .accentHovered = { 0.08f, 0.38f, 0.64f },
        .accentActive = { 0.06f, 0.32f, 0.56f },
        .accentText = { 1, 1, 1 },
        .notice = { 0.55f, 0.30f, 0.0f },
        .error = { 0.75f, 0.08f, 0.08f },
        .border = { 0.55f, 0.58f, 0.62f },
        .overlayPanel = { 1.0f, 0.97f, 0.88f },
    };
    return p;
}

const Palette& highContrastPalette() noexcept
{
    static const Palette p {
        .background = { 0, 0, 0 },
        .surface = { 0, 0, 0 },
        .text = { 1, 1, 1 },
        .textMuted = { 0.85f, 0.85f, 0.85f },
        .button = { 0.12f, 0.12f, 0.12f },
        .buttonHovered = { 0.20f, 0.20f, 0.20f },
        .buttonActive = { 0.28f, 0.28f, 0.28f },
        .buttonText = { 1, 1, 1 },
        .accent = { 1.0f, 0.86f, 0.0f },
        .accentHovered = { 1.0f, 0.92f, 0.35f },
        .accentActive = { 0.90f, 0.76f, 0.0f },
        .accentText = { 0, 0, 0 },
        .notice = { 1.0f, 0.90f, 0.30f },
        .error = { 1.0f, 0.60f, 0.60f },
        .border = { 1, 1, 1 },
        .overlayPanel = { 0.10f, 0.10f, 0.10f },
    };
    return p;
}

double relativeLuminance(Rgb c) noexcept
{
    auto channel = [](float v) {
        const double s = v;
        return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

double contrastRatio(Rgb a, Rgb b) noexcept
{
    const double la = relativeLuminance(a);
    const double lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

namespace
{
    ImVec4 v(Rgb c, float alpha = 1.0f)
    {
        return ImVec4(c.r, c.g, c.b, alpha);
    }
} // namespace

void applyPalette(const Palette& p)
{
    ImGuiStyle& s = ImGui::GetStyle();
    s.Colors[ImGuiCol_WindowBg] = v(p.background);
    s.Colors[ImGuiCol_ChildBg] = v(p.surface);
    s.Colors[ImGuiCol_PopupBg] = v(p.overlayPanel);
    s.Colors[ImGuiCol_Text] = v(p.text);
    s.Colors[ImGuiCol_TextDisabled] = v(p.textMuted);
    s.Colors[ImGuiCol_Button] = v(p.button);
    s.Colors[ImGuiCol_ButtonHovered] = v(p.buttonHovered);
    s.Colors[ImGuiCol_ButtonActive] = v(p.buttonActive);
    s.Colors[ImGuiCol_FrameBg] = v(p.surface);
    s.Colors[ImGuiCol_FrameBgHovered] = v(p.surface);
    s.Colors[ImGuiCol_FrameBgActive] = v(p.surface);
    s.Colors[ImGuiCol_Border] = v(p.border);
    s.Colors[ImGuiCol_ScrollbarBg] = v(p.background);
    s.Colors[ImGuiCol_ScrollbarGrab] = v(p.border);
    s.Colors[ImGuiCol_ScrollbarGrabHovered] = v(p.border);
    s.Colors[ImGuiCol_ScrollbarGrabActive] = v(p.textMuted);
    s.Colors[ImGuiCol_TextSelectedBg] = v(p.accent, 0.35f);
    s.Colors[ImGuiCol_NavHighlight] = v(p.accent);
}

void applyTheme()
{
    ImGui::StyleColorsLight();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowPadding = ImVec2(32, 24);
    s.FramePadding = ImVec2(18, 14);
    s.ItemSpacing = ImVec2(16, 14);
    s.ItemInnerSpacing = ImVec2(12, 10);
    s.TouchExtraPadding = ImVec2(4, 4);
    // A scrollbar is a touch target like any other: 44 px wide, its thumb at least 44 px tall (in
    // logical pixels; SDL scales them with the display, shell.cpp).
    s.ScrollbarSize = 44;
    s.GrabMinSize = 44;
    s.FrameRounding = 8;
    s.FrameBorderSize = 1;
    s.WindowBorderSize = 0;
    s.WindowRounding = 0;
    s.ChildBorderSize = 1;
    applyPalette(normalPalette());
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // nothing written to disk
    io.LogFilename = nullptr;
    io.ConfigInputTextCursorBlink = false; // no redraws just to blink: an idle kiosk stays idle
}

} // namespace shensu::kiosk::ui
