// The kiosk's two colour themes (normal and high contrast) as data, so tests can check their
// contrast.
#pragma once

namespace shensu::kiosk::ui
{

struct Rgb {
    float r = 0, g = 0, b = 0;
};

struct Palette {
    Rgb background; // the window
    Rgb surface; // fields, the form's and review's panels
    Rgb text;
    Rgb textMuted; // labels on review, hints, placeholders
    Rgb button;
    Rgb buttonHovered;
    Rgb buttonActive;
    Rgb buttonText;
    Rgb accent; // primary buttons
    Rgb accentHovered;
    Rgb accentActive;
    Rgb accentText;
    Rgb notice; // one-line notices, "coming soon" badges
    Rgb error;
    Rgb border;
    Rgb overlayPanel; // the countdown / "end?" panel
};

const Palette& normalPalette() noexcept;
const Palette& highContrastPalette() noexcept;
inline const Palette& palette(bool highContrast) noexcept
{
    return highContrast ? highContrastPalette() : normalPalette();
}

// WCAG 2.x relative luminance and contrast ratio (1..21) of two sRGB colours.
double relativeLuminance(Rgb c) noexcept;
double contrastRatio(Rgb a, Rgb b) noexcept;

// Sets ImGui's style colours from the palette (call before drawing a frame).
void applyPalette(const Palette& p);

} // namespace shensu::kiosk::ui
