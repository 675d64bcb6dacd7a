// Both themes are readable: every text colour against every background it is drawn on reaches the
// WCAG 2.x minimum for normal text, 4.5:1, computed from the palettes the UI draws with.
#include "kiosk/ui/theme.hpp"

#include <catch2/catch.hpp>

using namespace shensu::kiosk::ui;

TEST_CASE("WCAG contrast: black on white is 21:1, a colour on itself 1:1")
{
    CHECK(contrastRatio({ 0, 0, 0 }, { 1, 1, 1 }) == Approx(21.0));
    CHECK(contrastRatio({ 0.5f, 0.2f, 0.1f }, { 0.5f, 0.2f, 0.1f }) == Approx(1.0));
    CHECK(contrastRatio({ 1, 1, 1 }, { 0, 0, 0 }) == Approx(21.0)); // order does not matter
}

TEST_CASE("every text colour of both themes reaches 4.5:1 on the backgrounds it is drawn on")
{
    for (const bool high : { false, true }) {
        const Palette& p = palette(high);
        const struct {
            const char* what;
            Rgb text;
            Rgb background;
        } pairs[] = {
            { "text on background", p.text, p.background },
            { "text on surface", p.text, p.surface },
            { "muted text on background", p.textMuted, p.background },
            { "muted text on surface", p.textMuted, p.surface },
            { "button text on button", p.buttonText, p.button },
            { "button text on hovered button", p.buttonText, p.buttonHovered },
            { "button text on pressed button", p.buttonText, p.buttonActive },
            { "accent text on accent", p.accentText, p.accent },
            { "accent text on hovered accent", p.accentText, p.accentHovered },
            { "accent text on pressed accent", p.accentText, p.accentActive },
            { "notice on background", p.notice, p.background },
            { "notice on surface", p.notice, p.surface },
            { "badge (notice) on button", p.notice, p.button },
            { "error on background", p.error, p.background },
            { "error on surface", p.error, p.surface },
            { "text on the session panel", p.text, p.overlayPanel },
            { "button text on the session panel's button", p.buttonText, p.button },
        };
        for (const auto& pair : pairs) {
            INFO((high ? "high contrast: " : "normal: ")
                << pair.what << " = " << contrastRatio(pair.text, pair.background));
            CHECK(contrastRatio(pair.text, pair.background) >= 4.5);
        }
    }
}

TEST_CASE("the high-contrast theme is at least 7:1 for body text (WCAG AAA)")
{
    const Palette& p = highContrastPalette();
    CHECK(contrastRatio(p.text, p.background) >= 7.0);
    CHECK(contrastRatio(p.accentText, p.accent) >= 7.0);
}
