// Last attempt: the card has one PIN try left; the person must read and acknowledge this before
// the pad comes back, or leave with the card unspent.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawPinLastAttempt(Frame& f)
{
    title(f, f.tr("pin_last_attempt.title"));
    if (!f.state.pinMessageKey.empty()) errorText(f.tr(f.state.pinMessageKey));
    errorText(f.tr("pin_last_attempt.body"));
    paragraph(f.tr("pin_last_attempt.hint"));
    beginFooter();
    if (button(f, "pin_last_attempt.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "pin_last_attempt.continue", f.tr("pin_last_attempt.continue"),
            { -1, TOUCH_HEIGHT }))
        f.emit(AcknowledgeLastAttempt {});
}

} // namespace shensu::kiosk::ui
