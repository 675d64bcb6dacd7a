// Anonymous info: before the form, what an anonymous filing is — a tip (檢舉) that may be harder to
// investigate — and that no card is read; go on or go back.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawAnonymousInfo(Frame& f)
{
    title(f, f.tr("anonymous_info.title"));
    paragraph(f.tr("anonymous_info.tip"));
    ImGui::Spacing();
    paragraph(f.tr("anonymous_info.harder"));
    ImGui::Spacing();
    paragraph(f.tr("anonymous_info.no_card"));
    ImGui::Spacing();
    notice(f.tr("anonymous_info.identified_instead"));
    beginFooter();
    if (button(f, "anonymous_info.back", f.tr("anonymous_info.back"), { 300, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    const float width = 420;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(
            f, "anonymous_info.continue", f.tr("anonymous_info.continue"), { width, TOUCH_HEIGHT }))
        f.emit(ConfirmAnonymous {});
}

} // namespace shensu::kiosk::ui
