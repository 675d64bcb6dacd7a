// Submit error: nothing was saved and nothing was sent; try again (answers kept) or go home
// (answers wiped).
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawSubmitError(Frame& f)
{
    title(f, f.tr("submit_error.title"));
    errorText(f.tr("submit_error.body"));
    beginFooter();
    if (button(f, "submit_error.home", f.tr("common.home"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "submit_error.retry", f.tr("submit_error.retry"), { width, TOUCH_HEIGHT }))
        f.emit(RetrySubmit {});
}

} // namespace shensu::kiosk::ui
