// What every screen file sees: the frame (state, translations, fonts, event sink) and the
// touch-sized widgets.
#pragma once

#include "kiosk/ui/frame.hpp"
#include "kiosk/ui/theme.hpp"

#include <initializer_list>
#include <string>
#include <vector>

#include <imgui.h>

namespace shensu::kiosk::ui
{

struct Frame {
    const State& state;
    UiContext& ui;
    std::vector<Event>& events;

    std::string tr(const char* key) const { return ui.catalogue->text(state.language, key); }
    std::string tr(const std::string& key) const { return ui.catalogue->text(state.language, key); }
    std::string trf(const char* key, const Params& params) const
    {
        return ui.catalogue->format(state.language, key, params);
    }
    void emit(Event event) { events.push_back(std::move(event)); }
    const Palette& colors() const { return palette(state.highContrast); }
};

ImVec4 toVec4(Rgb c, float alpha = 1.0f);
// The palette the frame is drawn with (set by drawFrame; notice() and errorText() use it).
const Palette& currentPalette();
void setCurrentPalette(const Palette& p);

// Minimum height of anything a finger must hit (≥ 44 px at 1280×800, we use more).
inline constexpr float TOUCH_HEIGHT = 72.0f;

// Records the last item's rectangle under `id` for automation (and scrolls to it when asked).
void registerItem(Frame& f, const std::string& id);

// A button with a stable id; the label may change with the language.
bool button(
    Frame& f, const std::string& id, const std::string& label, ImVec2 size = { 0, TOUCH_HEIGHT });
// A primary (filled, accent) button.
bool primaryButton(
    Frame& f, const std::string& id, const std::string& label, ImVec2 size = { 0, TOUCH_HEIGHT });

void title(Frame& f, const std::string& text);
void paragraph(const std::string& text);
void notice(const std::string& text); // a highlighted one-line message
void errorText(const std::string& text); // red, for validation and failures
// How far (logical px) a finger may wobble between press and release and still tap; further is a
// drag that scrolls. Every tap test and dragToScroll() use this one distance, so a movement is
// either a tap or a scroll, never both and never neither.
inline constexpr float DRAG_SLOP = 12.0f;
// ImGui's measure of how far the finger travelled since it went down (squared).
bool withinTapSlop();

// Touch scrolling for a child window (ImGui 1.86 has none): a finger dragged on anything that is
// not a widget scrolls the content. Call just before EndChild().
void dragToScroll();
// The row of actions at the bottom of the screen; returns the y where content must stop.
float footerTop();
void beginFooter();

// The on-screen keyboard (ui/src/keyboard.cpp): drawn by the form while ui.keyboard.target is set.
float keyboardHeight();
void drawKeyboard(Frame& f);
// The same keyboard's letters (with shift) and an ASCII-symbols layer, typing into the registration
// password's locked buffer instead of a field; no Zhuyin. Returns true when a key was pressed.
bool drawPasswordKeyboard(Frame& f, cardio::NhiPassword& password);

// The screens, one file each; registry.cpp maps Screen -> function.
void drawHome(Frame& f);
void drawInsertCard(Frame& f);
void drawReadingCard(Frame& f);
void drawCardRead(Frame& f);
void drawCardError(Frame& f);
void drawForm(Frame& f);
void drawReview(Frame& f);
void drawSubmitting(Frame& f);
void drawSubmitted(Frame& f);
void drawQueued(Frame& f);
// The case number, its verification code (grouped by 4), the keep-them notice, paragraphs (i18n
// keys) and a QR code of both: the body of "submitted", and of "queued" for a leased number.
void drawCaseReceipt(Frame& f, std::initializer_list<const char*> paragraphs);
void drawSubmitError(Frame& f);
void drawAnonymousInfo(Frame& f);
void drawPinEntry(Frame& f);
void drawPinLastAttempt(Frame& f);
void drawCardLogin(Frame& f);
void drawCardBlocked(Frame& f);
void drawLoginRefused(Frame& f);
void drawCaseQuery(Frame& f);
void drawCaseQuerying(Frame& f);
void drawCaseStatus(Frame& f);
// The case status screen's words, also for the automation events: a date in the person's
// calendar ("case_status.date"), and the status in central's wording or its translation.
std::string caseDate(const Frame& f, const std::string& text);
std::string caseStatusText(const Frame& f);
void drawNhiPassword(Frame& f);
void drawNhiLastAttempt(Frame& f);
void drawNhiLocked(Frame& f);

using ScreenFunction = void (*)(Frame&);
ScreenFunction screenFunction(Screen screen) noexcept;

} // namespace shensu::kiosk::ui
