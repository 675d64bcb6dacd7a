// Last attempt: central will lock the health card's registration password after one more wrong
// one; the person must read and acknowledge this before the password screen comes back.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawNhiLastAttempt(Frame& f)
{
    title(f, f.tr("nhi_last_attempt.title"));
    if (!f.state.nhiMessageKey.empty()) errorText(f.tr(f.state.nhiMessageKey));
    errorText(f.tr("nhi_last_attempt.body"));
    paragraph(f.tr("nhi_last_attempt.hint"));
    beginFooter();
    if (button(f, "nhi_last_attempt.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "nhi_last_attempt.continue", f.tr("nhi_last_attempt.continue"),
            { -1, TOUCH_HEIGHT }))
        f.emit(AcknowledgeLastAttempt {});
}

} // namespace shensu::kiosk::ui
