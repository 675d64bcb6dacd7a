// PIN entry: a large touch PIN pad (digits shuffled when configured), the PIN masked, tries left.
// The digits go into the app's locked cardio::Pin, never into the State or an Event.
#include "screens/screens.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace shensu::kiosk::ui
{

void preparePinPad(UiContext& ui, const State& state)
{
    if (ui.pinLayoutGeneration == state.pinEntryGeneration) return;
    ui.pinLayout = { '1', '2', '3', '4', '5', '6', '7', '8', '9', '0' };
    if (state.pinPadShuffle) {
        std::random_device seed;
        std::mt19937 random(seed());
        std::shuffle(ui.pinLayout.begin(), ui.pinLayout.end(), random);
    }
    if (ui.pinPad != nullptr) ui.pinPad->wipe();
    ui.pinLayoutGeneration = state.pinEntryGeneration;
}

namespace
{
    // A PIN-pad reader: the person types on the reader after tapping start; no digit on screen.
    void drawReaderPinPad(Frame& f)
    {
        // Signing a filing after login (issue 5): the same pad, its own wording.
        title(f, f.tr(f.state.signingFiling ? "pin.sign_title" : "pin.reader_title"));
        paragraph(f.trf(
            "pin.reader_body", { { "seconds", std::to_string(f.state.readerPinTimeoutSeconds) } }));
        if (!f.state.pinMessageKey.empty()) errorText(f.tr(f.state.pinMessageKey));
        notice(f.trf("pin.tries_left", { { "n", std::to_string(f.state.pinTriesLeft) } }));
        beginFooter();
        if (button(f, "pin.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
            f.emit(GoHome {});
        ImGui::SameLine();
        if (primaryButton(f, "pin.confirm", f.tr("pin.reader_start"), { -1, TOUCH_HEIGHT }))
            f.emit(ConfirmPin { 0 });
    }
} // namespace

void drawPinEntry(Frame& f)
{
    if (f.state.readerPinPad) return drawReaderPinPad(f);
    preparePinPad(f.ui, f.state);
    const std::size_t entered = f.ui.pinPad != nullptr ? f.ui.pinPad->size() : 0;

    title(f, f.tr(f.state.signingFiling ? "pin.sign_title" : "pin.title"));
    paragraph(f.tr("pin.body"));
    if (!f.state.pinMessageKey.empty()) errorText(f.tr(f.state.pinMessageKey));
    notice(f.trf("pin.tries_left", { { "n", std::to_string(f.state.pinTriesLeft) } }));

    // The mask: one star per digit, in the receipt font so it reads from a step away.
    ImGui::PushFont(f.ui.fonts.receipt);
    std::string mask;
    for (std::size_t i = 0; i < entered; ++i)
        mask += i == 0 ? "*" : " *";
    ImGui::TextUnformatted(mask.empty() ? " " : mask.c_str());
    ImGui::PopFont();

    // 3 x 3 digits, then clear / last digit / backspace. Ids name the digit, not the position, so
    // automation taps by digit whatever the shuffle.
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float keyWidth = std::min(200.0f, (ImGui::GetContentRegionAvail().x - 2 * gap) / 3);
    // Four rows between the mask and the footer: with larger text the texts above take more room
    // and the keys get lower (never under 48 px), so the last row is never hidden by the footer.
    const float rowGap = ImGui::GetStyle().ItemSpacing.y;
    const float room = footerTop() - rowGap - ImGui::GetCursorPosY() - 3 * rowGap;
    const float keyHeight = std::clamp(room / 4, 48.0f, 76.0f);
    const float indent = (ImGui::GetContentRegionAvail().x - 3 * keyWidth - 2 * gap) / 2;
    auto digitKey = [&](char digit) {
        const std::string label(1, digit);
        ImGui::PushFont(f.ui.fonts.title);
        const bool pressed
            = button(f, std::string("pin.digit.") + digit, label, { keyWidth, keyHeight });
        ImGui::PopFont();
        if (pressed && f.ui.pinPad != nullptr) {
            if (f.ui.pinPad->size() < PIN_MAX_DIGITS) f.ui.pinPad->push(digit);
            f.emit(PinPadTouched {});
        }
    };
    for (int row = 0; row < 3; ++row) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + indent);
        for (int col = 0; col < 3; ++col) {
            if (col > 0) ImGui::SameLine();
            digitKey(f.ui.pinLayout[static_cast<std::size_t>(row * 3 + col)]);
        }
    }
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + indent);
    if (button(f, "pin.clear", f.tr("pin.clear"), { keyWidth, keyHeight })) {
        if (f.ui.pinPad != nullptr) f.ui.pinPad->wipe();
        f.emit(PinPadTouched {});
    }
    ImGui::SameLine();
    digitKey(f.ui.pinLayout[9]);
    ImGui::SameLine();
    if (button(f, "pin.backspace", f.tr("pin.backspace"), { keyWidth, keyHeight })) {
        if (f.ui.pinPad != nullptr) f.ui.pinPad->pop();
        f.emit(PinPadTouched {});
    }

    beginFooter();
    if (button(f, "pin.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT })) f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "pin.confirm",
            f.tr(f.state.signingFiling ? "pin.sign_confirm" : "pin.confirm"), { -1, TOUCH_HEIGHT }))
        f.emit(ConfirmPin { entered });
}

} // namespace shensu::kiosk::ui
