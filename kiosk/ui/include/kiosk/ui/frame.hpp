// One ImGui frame of the kiosk: the screen for the core's state, the person's actions as events.
#pragma once

#include "kiosk/core/catalogue.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/state.hpp"
#include "kiosk/ui/fonts.hpp"
#include "kiosk/ui/registry.hpp"

#include <cardio/pin.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace shensu::kiosk::ui
{

struct UiContext {
    const Catalogue* catalogue = nullptr;
    Fonts fonts;
    WidgetRegistry widgets; // refilled every frame
    std::string scrollTo; // automation: bring this widget into view this frame
    std::string editing; // the multiline field being edited; the others show their text wrapped
    // The PIN pad's digits live here, in a locked buffer the app owns, never in the State or an
    // Event; the app hands them to the card worker (ForgetPin / LoginWithCitizenCard).
    cardio::Pin* pinPad = nullptr;
    std::array<char, 10> pinLayout { '1', '2', '3', '4', '5', '6', '7', '8', '9', '0' };
    std::uint64_t pinLayoutGeneration = ~std::uint64_t { 0 }; // State::pinEntryGeneration drawn
};

// Call between ImGui::NewFrame() and ImGui::Render(). Draws into one full-display window.
std::vector<Event> drawFrame(const State& state, UiContext& ui);

// A new PIN screen (State::pinEntryGeneration changed): a fresh, maybe shuffled, key order and an
// empty pad. The shell calls it after each step; the screen again before drawing.
void preparePinPad(UiContext& ui, const State& state);

// The kiosk's look: light, large paddings, touch-sized targets.
void applyTheme();

} // namespace shensu::kiosk::ui
