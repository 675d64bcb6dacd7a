// One ImGui frame of the kiosk: the screen for the core's state, the person's actions as events.
#pragma once

#include "kiosk/core/catalogue.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/state.hpp"
#include "kiosk/ui/fonts.hpp"
#include "kiosk/ui/registry.hpp"
#include "kiosk/ui/zhuyin.hpp"

#include <cardio/pin.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shensu::kiosk::ui
{

enum class KeyboardMode { ZHUYIN, ENGLISH, SYMBOLS };

// The on-screen keyboard (docs/automation.md, "On-screen keyboard"): shown on the form while a
// text field is its target; text goes to the end of that field's answer.
struct KeyboardState {
    std::string target; // answer id; empty = keyboard hidden
    KeyboardMode mode = KeyboardMode::ZHUYIN;
    bool shift = false;
    std::unique_ptr<ZhuyinEngine> zhuyin; // created on first use, deleted when a session ends
};

// A system IME's composition (SDL_TEXTEDITING: a physical keyboard with IBus/Fcitx): ImGui 1.86
// does not draw it, so the kiosk draws it at the caret of the field being edited until the IME
// commits (SDL_TEXTINPUT) or cancels (an empty composition).
struct ImeComposition {
    std::string text; // UTF-8; empty = nothing being composed
    int cursor = 0; // the IME's cursor, in code points from the start of `text`
    WidgetRect drawn; // where it was drawn in the last frame (logical px); all zero when not
};

struct UiContext {
    const Catalogue* catalogue = nullptr;
    Fonts fonts;
    WidgetRegistry widgets; // refilled every frame
    std::string scrollTo; // automation: bring this widget into view this frame
    std::string editing; // the multiline field being edited; the others show their text wrapped
    std::string focusField; // the form field to scroll to and focus (tapped on the review screen)
    bool highContrast = false; // the palette ImGui's style holds now
    bool paletteApplied = false;
    KeyboardState keyboard;
    ImeComposition ime;
    // The PIN pad's digits live here, in a locked buffer the app owns, never in the State or an
    // Event; the app hands them to the card worker (ForgetPin / LoginWithCitizenCard).
    cardio::Pin* pinPad = nullptr;
    std::array<char, 10> pinLayout { '1', '2', '3', '4', '5', '6', '7', '8', '9', '0' };
    std::uint64_t pinLayoutGeneration = ~std::uint64_t { 0 }; // State::pinEntryGeneration drawn
    // The health card's registration password as typed: the app's locked buffer, like pinPad.
    cardio::NhiPassword* nhiPassword = nullptr;
    std::uint64_t nhiPasswordGeneration = ~std::uint64_t { 0 }; // State::nhiPasswordGeneration
    KeyboardMode passwordKeyboard = KeyboardMode::ENGLISH; // letters or symbols; never Zhuyin
    bool passwordShift = false;
};

// Forgets everything the UI keeps of a session: ImGui's text-edit buffers (overwritten), the field
// being edited, the focus request. Called when a session ends.
void wipeSession(UiContext& ui);

// Call between ImGui::NewFrame() and ImGui::Render(). Draws into one full-display window.
std::vector<Event> drawFrame(const State& state, UiContext& ui);

// A new PIN screen (State::pinEntryGeneration changed): a fresh, maybe shuffled, key order and an
// empty pad. The shell calls it after each step; the screen again before drawing.
void preparePinPad(UiContext& ui, const State& state);

// A new registration-password screen (State::nhiPasswordGeneration changed): an empty buffer and
// the letters layer. The shell calls it after each step; the screen again before drawing.
void prepareNhiPassword(UiContext& ui, const State& state);

// The kiosk's look: light, large paddings, touch-sized targets.
void applyTheme();

} // namespace shensu::kiosk::ui
